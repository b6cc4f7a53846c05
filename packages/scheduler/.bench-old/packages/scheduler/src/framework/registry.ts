import { SchedulerError } from '../errors';
import type { PluginFactory } from './interface';

/**
 * Plugin name → factory. The scheduler builds each profile's plugins from it; register
 * your own plugins here before creating the scheduler.
 */
export class Registry {
  private readonly factories = new Map<string, PluginFactory>();

  constructor(entries?: Iterable<readonly [string, PluginFactory]>) {
    if (entries) for (const [name, f] of entries) this.register(name, f);
  }

  /** Adds a factory. Throws a SchedulerError `DuplicatePlugin` when the name is taken. */
  register(name: string, factory: PluginFactory): this {
    if (!name) throw new SchedulerError('InvalidArgument', 'a plugin needs a name');
    if (this.factories.has(name)) throw new SchedulerError('DuplicatePlugin', `a plugin named ${JSON.stringify(name)} already exists`);
    this.factories.set(name, factory);
    return this;
  }
  /** Removes a factory; false when absent. */
  unregister(name: string): boolean {
    return this.factories.delete(name);
  }
  /** The factory for `name`, or undefined. */
  get(name: string): PluginFactory | undefined {
    return this.factories.get(name);
  }
  has(name: string): boolean {
    return this.factories.has(name);
  }
  names(): string[] {
    return [...this.factories.keys()];
  }
  /** A new registry with this one's factories and `other`'s; throws `DuplicatePlugin` on a clash. */
  merge(other: Registry): Registry {
    const r = new Registry(this.factories);
    for (const n of other.names()) r.register(n, other.get(n)!);
    return r;
  }
}
