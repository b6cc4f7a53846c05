import { quantityOf, type Container, type Pod, type ResourceListLike } from '@bosun/api';

/** Resource names the scheduler tracks as fields; every other name is a scalar (extended, hugepages-…). */
export const CPU = 'cpu';
export const MEMORY = 'memory';
export const EPHEMERAL_STORAGE = 'ephemeral-storage';
export const PODS = 'pods';

/** The CPU (millicores) counted for scoring when a container requests none, as upstream. */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
/** The memory (bytes) counted for scoring when a container requests none: 200 MiB, as upstream. */
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

/**
 * An amount of every resource, as numbers: CPU in millicores, memory and
 * ephemeral-storage in bytes, pods as a count, scalar resources in whole units
 * (hugepages in bytes). Mutable: the cache adds and subtracts pods in place.
 */
export class Resource {
  milliCPU = 0;
  memory = 0;
  ephemeralStorage = 0;
  allowedPodNumber = 0;
  readonly scalar = new Map<string, number>();

  /** A Resource from a resource list (`{ cpu: '500m', memory: '1Gi', 'example.com/gpu': '2' }`). */
  static fromList(list: ResourceListLike): Resource {
    const r = new Resource();
    r.addList(list);
    return r;
  }

  /** The amount of `name` (`cpu` in millicores). */
  get(name: string): number {
    switch (name) {
      case CPU:
        return this.milliCPU;
      case MEMORY:
        return this.memory;
      case EPHEMERAL_STORAGE:
        return this.ephemeralStorage;
      case PODS:
        return this.allowedPodNumber;
      default:
        return this.scalar.get(name) ?? 0;
    }
  }

  /** Sets the amount of `name`. */
  set(name: string, v: number): void {
    switch (name) {
      case CPU:
        this.milliCPU = v;
        break;
      case MEMORY:
        this.memory = v;
        break;
      case EPHEMERAL_STORAGE:
        this.ephemeralStorage = v;
        break;
      case PODS:
        this.allowedPodNumber = v;
        break;
      default:
        this.scalar.set(name, v);
    }
  }

  /** Adds every entry of a resource list. Throws an ApiError BadRequest for an unparsable quantity. */
  addList(list: ResourceListLike): void {
    if (!list) return;
    for (const name of Object.keys(list)) {
      if (list[name] === undefined) continue;
      this.set(name, this.get(name) + amountOf(list, name));
    }
  }

  /** Adds `other` in place. */
  add(other: Resource): this {
    this.milliCPU += other.milliCPU;
    this.memory += other.memory;
    this.ephemeralStorage += other.ephemeralStorage;
    this.allowedPodNumber += other.allowedPodNumber;
    for (const [k, v] of other.scalar) this.scalar.set(k, (this.scalar.get(k) ?? 0) + v);
    return this;
  }

  /** Subtracts `other` in place. */
  sub(other: Resource): this {
    this.milliCPU -= other.milliCPU;
    this.memory -= other.memory;
    this.ephemeralStorage -= other.ephemeralStorage;
    this.allowedPodNumber -= other.allowedPodNumber;
    for (const [k, v] of other.scalar) this.scalar.set(k, (this.scalar.get(k) ?? 0) - v);
    return this;
  }

  /** Raises every amount to at least `other`'s, in place. */
  setMax(other: Resource): this {
    this.milliCPU = Math.max(this.milliCPU, other.milliCPU);
    this.memory = Math.max(this.memory, other.memory);
    this.ephemeralStorage = Math.max(this.ephemeralStorage, other.ephemeralStorage);
    this.allowedPodNumber = Math.max(this.allowedPodNumber, other.allowedPodNumber);
    for (const [k, v] of other.scalar) this.scalar.set(k, Math.max(this.scalar.get(k) ?? 0, v));
    return this;
  }

  /** A copy. */
  clone(): Resource {
    return new Resource().add(this);
  }

  /** Names with a non-zero amount (cpu, memory, ephemeral-storage, then scalars in insertion order). */
  names(): string[] {
    const out: string[] = [];
    if (this.milliCPU) out.push(CPU);
    if (this.memory) out.push(MEMORY);
    if (this.ephemeralStorage) out.push(EPHEMERAL_STORAGE);
    for (const [k, v] of this.scalar) if (v) out.push(k);
    return out;
  }
}

// Parsed amounts by quantity string: pods repeat a handful of strings ('100m', '500Mi'),
// and the cache builds a pod's requests whenever it sees the pod change.
const MAX_PARSED = 4096;
const parsedMilli = new Map<string, number>();
const parsedValue = new Map<string, number>();

/** The amount of `list[name]` as a number: millicores for cpu, the value otherwise. Throws as {@link quantityOf}. */
function amountOf(list: ResourceListLike, name: string): number {
  const raw = list![name];
  const milli = name === CPU;
  if (typeof raw !== 'string') {
    const q = quantityOf(list, name);
    return milli ? Number(q.milliValue()) : Number(q.value());
  }
  const memo = milli ? parsedMilli : parsedValue;
  let v = memo.get(raw);
  if (v === undefined) {
    const q = quantityOf(list, name);
    v = milli ? Number(q.milliValue()) : Number(q.value());
    if (memo.size >= MAX_PARSED) memo.clear();
    memo.set(raw, v);
  }
  return v;
}

/** Options of {@link podRequests}. */
export interface PodRequestsOptions {
  /**
   * Count this much CPU (millicores) and memory (bytes) for a container that requests
   * none: the "non-zero" requests upstream scores with, so that best-effort pods do not
   * all pile onto one node. Off by default (Filter counts real requests).
   */
  nonZero?: boolean;
}

function containerRequests(c: Container, opts: PodRequestsOptions): Resource {
  const requests = c.resources?.requests;
  const r = Resource.fromList(requests);
  if (opts.nonZero) {
    if (requests?.[CPU] === undefined) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (requests?.[MEMORY] === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * What a pod asks of a node, as upstream's `resource.PodRequests`: the sum of its
 * containers' requests (plus restartable "sidecar" init containers, which run
 * alongside), raised to what any init container needs while it runs (each regular init
 * container runs alone, next to the sidecars started before it), plus `spec.overhead`.
 */
export function podRequests(pod: Pod, opts: PodRequestsOptions = {}): Resource {
  const spec = pod.spec;
  const reqs = new Resource();
  if (!spec) return reqs;
  for (const c of spec.containers ?? []) reqs.add(containerRequests(c, opts));
  const restartable = new Resource();
  const initMax = new Resource();
  for (const ic of spec.initContainers ?? []) {
    const r = containerRequests(ic, opts);
    if (ic.restartPolicy === 'Always') {
      reqs.add(r);
      restartable.add(r);
      initMax.setMax(restartable);
    } else {
      initMax.setMax(r.add(restartable));
    }
  }
  reqs.setMax(initMax);
  if (spec.overhead) reqs.addList(spec.overhead);
  return reqs;
}
