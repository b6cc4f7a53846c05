export * from './core/index';
export * from './workloads/index';
export * from './batch/index';
