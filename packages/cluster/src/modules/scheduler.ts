import { createScheduler } from '@bosun/scheduler';
import { ContainerModule } from 'inversify';
import { TOKENS } from '../tokens';

/** The scheduler, with the profiles and out-of-tree plugins of `options.scheduler`, on the manager's informers. */
export const schedulerModule = new ContainerModule(({ bind }) => {
  bind(TOKENS.Scheduler)
    .toResolvedValue(
      (client, clock, logger, options, manager) =>
        createScheduler({ client, clock, logger, informers: manager.informers, profiles: options.scheduler.profiles, registry: options.scheduler.registry }),
      [TOKENS.Client, TOKENS.Clock, TOKENS.Logger, TOKENS.Options, TOKENS.Manager],
    )
    .inSingletonScope();
});
