/**
 * A typed key into {@link CycleState}: `const k = stateKey<Toleration[]>('PreScoreTaintToleration')`.
 * The name must be unique among the plugins of a profile; the type travels with the key.
 */
export interface StateKey<T> {
  readonly name: string;
  /** Phantom field carrying the value type; never set. */
  readonly __type?: T;
  /** Copies a value for {@link CycleState.clone}; values are shared (treated as immutable) when absent. */
  readonly clone?: (value: T) => T;
}

/** A typed {@link StateKey}. Give `clone` when the value is mutated after being written (PreFilterExtensions). */
export function stateKey<T>(name: string, clone?: (value: T) => T): StateKey<T> {
  return Object.freeze({ name, clone });
}

/**
 * Data plugins share within one scheduling cycle of one pod: PreFilter writes what
 * Filter reads, PreScore what Score reads. Created fresh for every cycle; cloned by
 * preemption to simulate removing pods without disturbing the real cycle.
 */
export class CycleState {
  private readonly data = new Map<string, { key: StateKey<unknown>; value: unknown }>();
  /** Plugins whose PreFilter returned Skip: their Filter is not called. */
  readonly skipFilterPlugins = new Set<string>();
  /** Plugins whose PreScore returned Skip: their Score is not called. */
  readonly skipScorePlugins = new Set<string>();

  /** Stores `value` under `key`, replacing any earlier value. */
  write<T>(key: StateKey<T>, value: T): void {
    this.data.set(key.name, { key: key as StateKey<unknown>, value });
  }
  /** The value under `key`; throws when absent (a Filter called without its PreFilter is a bug). */
  read<T>(key: StateKey<T>): T {
    const e = this.data.get(key.name);
    if (!e) throw new Error(`CycleState: no value for key ${JSON.stringify(key.name)}`);
    return e.value as T;
  }
  /** The value under `key`, or undefined. */
  tryRead<T>(key: StateKey<T>): T | undefined {
    return this.data.get(key.name)?.value as T | undefined;
  }
  /** Removes the value under `key`. */
  delete(key: StateKey<unknown>): void {
    this.data.delete(key.name);
  }
  /** A copy: values whose key has a `clone` are copied with it, the others shared. */
  clone(): CycleState {
    const c = new CycleState();
    for (const [name, e] of this.data) c.data.set(name, { key: e.key, value: e.key.clone ? e.key.clone(e.value) : e.value });
    for (const p of this.skipFilterPlugins) c.skipFilterPlugins.add(p);
    for (const p of this.skipScorePlugins) c.skipScorePlugins.add(p);
    return c;
  }
}
