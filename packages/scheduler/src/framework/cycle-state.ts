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
  /** The key's slot in a CycleState, one per name (set by {@link stateKey}; looked up by name when absent). */
  readonly slot?: number;
}

// Slot numbers by key name: a CycleState keeps its values in an array indexed by slot
// (Filter and Score read their PreFilter/PreScore value for every node of every cycle;
// a Map lookup by name cost more than the reading plugins' own work).
const slots = new Map<string, number>();
function slotOf(name: string): number {
  let slot = slots.get(name);
  if (slot === undefined) {
    slot = slots.size;
    slots.set(name, slot);
  }
  return slot;
}

/** A typed {@link StateKey}. Give `clone` when the value is mutated after being written (PreFilterExtensions). */
export function stateKey<T>(name: string, clone?: (value: T) => T): StateKey<T> {
  return Object.freeze({ name, clone, slot: slotOf(name) });
}

/**
 * Data plugins share within one scheduling cycle of one pod: PreFilter writes what
 * Filter reads, PreScore what Score reads. Created fresh for every cycle; cloned by
 * preemption to simulate removing pods without disturbing the real cycle.
 */
export class CycleState {
  // By slot: the key written last under that name (undefined: nothing written) and its value.
  private readonly keys: (StateKey<unknown> | undefined)[] = [];
  private readonly values: unknown[] = [];
  /** Plugins whose PreFilter returned Skip: their Filter is not called. */
  readonly skipFilterPlugins = new Set<string>();
  /** Plugins whose PreScore returned Skip: their Score is not called. */
  readonly skipScorePlugins = new Set<string>();

  /** Stores `value` under `key`, replacing any earlier value. */
  write<T>(key: StateKey<T>, value: T): void {
    const slot = key.slot ?? slotOf(key.name);
    this.keys[slot] = key as StateKey<unknown>;
    this.values[slot] = value;
  }
  /** The value under `key`; throws when absent (a Filter called without its PreFilter is a bug). */
  read<T>(key: StateKey<T>): T {
    const slot = key.slot ?? slotOf(key.name);
    if (this.keys[slot] === undefined) throw new Error(`CycleState: no value for key ${JSON.stringify(key.name)}`);
    return this.values[slot] as T;
  }
  /** The value under `key`, or undefined. */
  tryRead<T>(key: StateKey<T>): T | undefined {
    return this.values[key.slot ?? slotOf(key.name)] as T | undefined;
  }
  /** Removes the value under `key`. */
  delete<T>(key: StateKey<T>): void {
    const slot = key.slot ?? slotOf(key.name);
    this.keys[slot] = undefined;
    this.values[slot] = undefined;
  }
  /** A copy: values whose key has a `clone` are copied with it, the others shared. */
  clone(): CycleState {
    const c = new CycleState();
    for (let slot = 0; slot < this.keys.length; slot++) {
      const key = this.keys[slot];
      if (key === undefined) continue;
      c.keys[slot] = key;
      c.values[slot] = key.clone ? key.clone(this.values[slot]) : this.values[slot];
    }
    for (const p of this.skipFilterPlugins) c.skipFilterPlugins.add(p);
    for (const p of this.skipScorePlugins) c.skipScorePlugins.add(p);
    return c;
  }
}
