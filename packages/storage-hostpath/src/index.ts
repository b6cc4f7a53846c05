export { createHostPathDriver, HOSTPATH_TOPOLOGY_KEY, HOSTPATH_DRIVER_NAME, HOSTPATH_DEFAULT_VOLUME_BYTES } from './driver';
export type { HostPathDriver, HostPathDriverOptions, HostPathPublishMode, HostPathLogEntry, HostPathVolume, HostPathPublication } from './driver';
