export { createCniExecPlugin } from './exec-plugin';
export type { CniExecPlugin, CniExecPluginOptions } from './exec-plugin';
export { parseConfList, loadConfList, bridgeNames, CONFIG_VERSIONS } from './conflist';
export type { CniNetworkConfigList, CniPluginConf } from './conflist';
export { findPlugin, invokePlugin, realExecClock } from './exec';
export type { CniCommand, ExecClock, PluginInvocation } from './exec';
export { ResultCache } from './cache';
export type { CachedAttachment } from './cache';
