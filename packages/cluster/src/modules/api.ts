import { createScheme, type Clock, type Scheme } from '@bosun/api';
import { createApiServer, createClient, type Logger, type MutatingAdmissionPlugin, type ValidatingAdmissionPlugin } from '@bosun/apiserver';
import { createMemoryStore, type ObjectStore } from '@bosun/store';
import { ContainerModule } from 'inversify';
import type { ResolvedClusterOptions } from '../options';
import { TOKENS } from '../tokens';

/**
 * The API: options, clock, logger, scheme, the memory store, the in-process API server
 * (async: `getAsync(TOKENS.ApiServer)`) with the admission plugins bound to
 * `TOKENS.MutatingAdmission` / `TOKENS.ValidatingAdmission`, and its Client.
 */
export function apiModule(options: ResolvedClusterOptions): ContainerModule {
  return new ContainerModule(({ bind }) => {
    bind(TOKENS.Options).toConstantValue(options);
    bind(TOKENS.Clock).toConstantValue(options.clock);
    bind(TOKENS.Logger).toConstantValue(options.logger);
    bind(TOKENS.Scheme).toConstantValue(createScheme());
    bind(TOKENS.Store)
      .toResolvedValue((clock) => createMemoryStore({ clock }), [TOKENS.Clock])
      .inSingletonScope();
    bind(TOKENS.ApiServer)
      .toResolvedValue(
        (store: ObjectStore, scheme: Scheme, clock: Clock, logger: Logger, mutating: MutatingAdmissionPlugin[] | undefined, validating: ValidatingAdmissionPlugin[] | undefined) =>
          createApiServer({ store, scheme, clock, logger, admission: { mutating: mutating ?? [], validating: validating ?? [] } }),
        [
          TOKENS.Store,
          TOKENS.Scheme,
          TOKENS.Clock,
          TOKENS.Logger,
          { serviceIdentifier: TOKENS.MutatingAdmission, isMultiple: true, optional: true },
          { serviceIdentifier: TOKENS.ValidatingAdmission, isMultiple: true, optional: true },
        ],
      )
      .inSingletonScope();
    bind(TOKENS.Client)
      .toResolvedValue((server) => createClient(server), [TOKENS.ApiServer])
      .inSingletonScope();
  });
}
