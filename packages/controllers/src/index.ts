export * from './core/index';
export * from './workloads/index';
export * from './batch/index';
export * from './node/index';
export * from './autoscaling/index';
export * from './storage/index';
