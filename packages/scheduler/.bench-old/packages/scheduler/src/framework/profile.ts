import { SchedulerError } from '../errors';
import { EXTENSION_POINTS, implementsPoint, type ExtensionPoint, type Plugin } from './interface';

/** A plugin enabled at a point; `weight` only matters at `score` (default: the plugin's default weight, else 1). */
export interface PluginRef {
  name: string;
  weight?: number;
}

/** Plugins added to and removed from one extension point. `disabled: [{ name: '*' }]` removes every default. */
export interface PluginSet {
  enabled?: PluginRef[];
  disabled?: { name: string }[];
}

/**
 * The plugins of a profile per extension point, as KubeSchedulerConfiguration's
 * `plugins`. `multiPoint` enables a plugin at every point it implements; the explicit
 * points then add to, or remove from, that. A plugin named explicitly at a point must
 * implement it.
 */
export type PluginsConfig = Partial<Record<ExtensionPoint | 'multiPoint', PluginSet>>;

/** One scheduling profile: pods naming `schedulerName` are scheduled by it. */
export interface ProfileConfig {
  schedulerName: string;
  /** Changes to the default plugins (see {@link DEFAULT_PLUGINS}); omit for the defaults. */
  plugins?: PluginsConfig;
  /** Plugin name → args given to its factory. */
  pluginConfig?: Record<string, unknown>;
}

/** A profile resolved to the ordered plugin names of each point and the score weights. */
export interface ResolvedProfile {
  schedulerName: string;
  points: Record<ExtensionPoint, string[]>;
  weights: Map<string, number>;
  pluginConfig: Record<string, unknown>;
}

const emptyPoints = (): Record<ExtensionPoint, string[]> => Object.fromEntries(EXTENSION_POINTS.map((p) => [p, [] as string[]])) as Record<ExtensionPoint, string[]>;

/**
 * Merges a profile with the default plugins, as upstream merges a profile with the
 * default plugin set. `instantiate` builds (or returns) the plugin of a name, so the
 * implemented points can be checked. Throws a SchedulerError `ExtensionPointNotImplemented`
 * when a plugin is enabled at a point it does not implement, `InvalidProfile` for a bad
 * weight.
 */
export function resolveProfile(
  config: ProfileConfig,
  defaults: PluginsConfig,
  instantiate: (name: string) => Plugin,
  defaultWeights: Readonly<Record<string, number>> = {},
): ResolvedProfile {
  const points = emptyPoints();
  const weights = new Map<string, number>();
  const user = config.plugins ?? {};
  const disabledAt = (point: ExtensionPoint | 'multiPoint') => new Set((user[point]?.disabled ?? []).map((d) => d.name));
  const multiDisabled = disabledAt('multiPoint');

  const add = (point: ExtensionPoint, ref: PluginRef) => {
    const list = points[point];
    if (!list.includes(ref.name)) list.push(ref.name);
    if (point === 'score') {
      const w = ref.weight ?? weights.get(ref.name) ?? defaultWeights[ref.name] ?? 1;
      if (!Number.isInteger(w) || w < 1 || w > 100) {
        throw new SchedulerError('InvalidProfile', `profile ${JSON.stringify(config.schedulerName)}: score plugin ${JSON.stringify(ref.name)} has weight ${w}; weights must be integers in [1, 100]`);
      }
      weights.set(ref.name, w);
    }
  };
  const expandMulti = (refs: PluginRef[], skip: Set<string>, skipAt: (p: ExtensionPoint) => Set<string>) => {
    for (const ref of refs) {
      if (skip.has(ref.name) || skip.has('*')) continue;
      const plugin = instantiate(ref.name);
      let any = false;
      for (const point of EXTENSION_POINTS) {
        if (!implementsPoint(plugin, point)) continue;
        any = true;
        const dis = skipAt(point);
        if (dis.has(ref.name) || dis.has('*')) continue;
        add(point, ref);
      }
      if (!any) throw new SchedulerError('ExtensionPointNotImplemented', `profile ${JSON.stringify(config.schedulerName)}: plugin ${JSON.stringify(ref.name)} implements no extension point`);
    }
  };

  // Defaults, minus what the user disabled (per point or at multiPoint).
  expandMulti(defaults.multiPoint?.enabled ?? [], multiDisabled, (p) => disabledAt(p));
  for (const point of EXTENSION_POINTS) {
    const dis = disabledAt(point);
    for (const ref of defaults[point]?.enabled ?? []) {
      if (dis.has(ref.name) || dis.has('*') || multiDisabled.has(ref.name) || multiDisabled.has('*')) continue;
      add(point, ref);
    }
  }
  // The user's additions.
  expandMulti(user.multiPoint?.enabled ?? [], new Set(), () => new Set());
  for (const point of EXTENSION_POINTS) {
    for (const ref of user[point]?.enabled ?? []) {
      const plugin = instantiate(ref.name);
      if (!implementsPoint(plugin, point)) {
        throw new SchedulerError(
          'ExtensionPointNotImplemented',
          `profile ${JSON.stringify(config.schedulerName)}: plugin ${JSON.stringify(ref.name)} is enabled at ${point} but does not implement it (no ${point === 'queueSort' ? 'less' : point}() method)`,
        );
      }
      add(point, ref);
      if (point === 'score' && ref.weight !== undefined) weights.set(ref.name, ref.weight);
    }
  }
  for (const name of weights.keys()) if (!points.score.includes(name)) weights.delete(name);
  if (points.queueSort.length !== 1) {
    throw new SchedulerError('InvalidProfile', `profile ${JSON.stringify(config.schedulerName)}: exactly one queueSort plugin must be enabled, got ${points.queueSort.length} (${points.queueSort.join(', ') || 'none'})`);
  }
  if (points.bind.length === 0) throw new SchedulerError('InvalidProfile', `profile ${JSON.stringify(config.schedulerName)}: at least one bind plugin must be enabled`);
  return { schedulerName: config.schedulerName, points, weights, pluginConfig: config.pluginConfig ?? {} };
}
