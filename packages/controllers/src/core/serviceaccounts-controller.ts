import { isAlreadyExists, isApiError, type Namespace, type ServiceAccount } from '@bosun/api';
import { Action, Controller, type Manager, type Reconcile } from '@bosun/controller-runtime';

/** Options of {@link addServiceAccountsController}. */
export interface ServiceAccountsControllerOptions {
  /** The service accounts every namespace gets. Default `['default']`. */
  names?: string[];
}

interface SaCtx {
  names: string[];
}

const reconcileServiceAccounts: Reconcile<Namespace, SaCtx> = async (ns, ctx, signal) => {
  const name = ns.metadata?.name ?? '';
  if (ns.metadata?.deletionTimestamp || ns.status?.phase === 'Terminating') return Action.awaitChange();
  const cache = ctx.informers.forKind('v1', 'ServiceAccount').cache;
  for (const sa of ctx.names) {
    if (cache.get(`${name}/${sa}`)) continue;
    const obj: ServiceAccount = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa, namespace: name } };
    try {
      await ctx.client.create(obj, { signal });
    } catch (e) {
      // Already there (our cache lags), or the namespace started terminating meanwhile.
      if (isAlreadyExists(e) || (isApiError(e) && (e.reason === 'Forbidden' || e.reason === 'NotFound'))) continue;
      throw e;
    }
  }
  return Action.awaitChange();
};

/**
 * Adds the service-accounts controller (`serviceaccount`) to `manager`: every active
 * namespace gets a ServiceAccount named `default` (and any other `names`), recreated
 * when deleted. Terminating namespaces are left alone.
 */
export function addServiceAccountsController(manager: Manager, opts: ServiceAccountsControllerOptions = {}): Controller<Namespace> {
  const names = opts.names ?? ['default'];
  const c = Controller.for('v1', 'Namespace', { clusterScoped: true })
    .watches('v1', 'ServiceAccount', (sa) => (sa.metadata?.namespace && names.includes(sa.metadata.name ?? '') ? [sa.metadata.namespace] : []))
    .withConfig({ name: 'serviceaccount' })
    .build<SaCtx>(reconcileServiceAccounts, undefined, { names });
  manager.add(c as never);
  return c;
}
