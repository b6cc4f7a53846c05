// Curated named exports of the batch-folder controllers: Job, CronJob, StatefulSet,
// DaemonSet and Endpoints. Each has an `addXController(manager, opts?)` factory and a
// `createXReconcile()` for hosts that compose their own controller.
export {
  addJobController,
  createJobReconcile,
  jobSelector,
  podFromJob,
  jobBackoffDelay,
  parseIndexes,
  formatIndexes,
  JOB_TRACKING_FINALIZER,
  JOB_CONTROLLER_UID_LABEL,
  JOB_NAME_LABEL,
  JOB_COMPLETION_INDEX_ANNOTATION,
  JOB_BACKOFF_BASE_MS,
  JOB_BACKOFF_MAX_MS,
} from './job';
export type { JobControllerOptions } from './job';
export { addCronJobController, createCronJobReconcile, cronJobName, jobFromCronJob, missedScheduleTimes, CRONJOB_SCHEDULED_TIMESTAMP_ANNOTATION, CRONJOB_MAX_MISSED } from './cronjob';
export type { CronJobControllerOptions } from './cronjob';
export {
  addStatefulSetController,
  createStatefulSetReconcile,
  ordinalOf,
  claimName,
  revisionName,
  podForOrdinal,
  STATEFULSET_POD_NAME_LABEL,
  POD_INDEX_LABEL,
  CONTROLLER_REVISION_HASH_LABEL,
} from './statefulset';
export type { StatefulSetControllerOptions } from './statefulset';
export {
  addDaemonSetController,
  createDaemonSetReconcile,
  daemonPodTolerations,
  daemonPodForNode,
  daemonPodNode,
  nodeShouldNotRunReason,
  DAEMONSET_REVISION_HASH_LABEL,
  DAEMONSET_TEMPLATE_GENERATION_LABEL,
} from './daemonset';
export type { DaemonSetControllerOptions } from './daemonset';
export { addEndpointsController, createEndpointsReconcile, endpointSubsets, findPort, repackSubsets, ENDPOINTS_LAST_CHANGE_TRIGGER_TIME_ANNOTATION, SERVICE_HEADLESS_LABEL } from './endpoints';
export type { EndpointsControllerOptions } from './endpoints';
