import type { Clock, Scheme } from '@bosun/api';
import type { ApiServer, Client, Logger } from '@bosun/apiserver';
import { createManager } from '@bosun/controller-runtime';
import {
  addCronJobController,
  addDaemonSetController,
  addDeploymentController,
  addEndpointsController,
  addGarbageCollector,
  addHorizontalPodAutoscalerController,
  addJobController,
  addNamespaceController,
  addNodeLifecycleController,
  addReplicaSetController,
  addReplicationController,
  addServiceAccountsController,
  addStatefulSetController,
  type MetricsProvider,
} from '@bosun/controllers';
import { ContainerModule } from 'inversify';
import { createAgentMetricsProvider } from '../metrics';
import type { ControllerInstaller, InstallContext, NodeRegistry } from '../parts';
import { TOKENS } from '../tokens';

/** The built-in controllers, one installer each (storage controllers are in the storage module). */
export const BUILTIN_CONTROLLERS: Readonly<Record<string, ControllerInstaller>> = {
  garbageCollector: (m, { scheme }) => void addGarbageCollector(m, { scheme }),
  namespace: (m, { scheme, server }) => void addNamespaceController(m, { scheme, finalize: (name) => server.finalizeNamespace(name) }),
  serviceAccounts: (m) => void addServiceAccountsController(m),
  replicaSet: (m) => addReplicaSetController(m),
  replicationController: (m) => addReplicationController(m),
  deployment: (m) => void addDeploymentController(m),
  statefulSet: (m) => addStatefulSetController(m),
  daemonSet: (m) => addDaemonSetController(m),
  job: (m) => addJobController(m),
  cronJob: (m) => addCronJobController(m),
  endpoints: (m) => addEndpointsController(m),
  /** Node lifecycle, with the taint eviction (NoExecute) controller. */
  nodeLifecycle: (m) => addNodeLifecycleController(m),
  horizontalPodAutoscaler: (m, { metrics }) => addHorizontalPodAutoscalerController(m, { metrics }),
};

/**
 * The controller manager with every built-in controller. Installers are a
 * multi-binding: bind more `TOKENS.ControllerInstaller`s to add controllers before the
 * manager starts (or call `cluster.manager.add(controller)` after).
 */
export const controllersModule = new ContainerModule(({ bind }) => {
  for (const install of Object.values(BUILTIN_CONTROLLERS)) bind(TOKENS.ControllerInstaller).toConstantValue(install);
  bind(TOKENS.MetricsProvider)
    .toResolvedValue((nodes: NodeRegistry) => createAgentMetricsProvider(nodes), [TOKENS.Nodes])
    .inSingletonScope();
  bind(TOKENS.Manager)
    .toResolvedValue(
      (client: Client, clock: Clock, logger: Logger, server: ApiServer, scheme: Scheme, metrics: MetricsProvider, nodes: NodeRegistry, installers: ControllerInstaller[]) => {
        const manager = createManager({ client, clock, logger });
        const ctx: InstallContext = { server, scheme, metrics, nodes, logger };
        for (const install of installers) install(manager, ctx);
        return manager;
      },
      [
        TOKENS.Client,
        TOKENS.Clock,
        TOKENS.Logger,
        TOKENS.ApiServer,
        TOKENS.Scheme,
        TOKENS.MetricsProvider,
        TOKENS.Nodes,
        { serviceIdentifier: TOKENS.ControllerInstaller, isMultiple: true },
      ],
    )
    .inSingletonScope();
});
