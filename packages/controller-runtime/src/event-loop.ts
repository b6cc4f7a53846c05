/**
 * Cooperative yielding to the host's event loop. In-process, the client, watch delivery
 * and the workers resolve each other's promises, so a burst of work is one continuous
 * chain of microtasks: without a yield the host's timers and I/O (an HTTP server next to
 * the cluster) wait for the whole burst. A work loop calls {@link shouldYield} before
 * each unit of work and, when it says so, `await`s {@link yieldToEventLoop} first: the
 * controllers' workers between reconciles, and reconciles' client calls through
 * {@link cooperativeClient}.
 *
 * Not starved, a check costs one `performance.now()`, plus one `setImmediate` per turn
 * of the event loop. `setImmediate`, never a timer: the fake clock's `advance()` settles
 * promises with `setImmediate` too, so tests on it see no difference.
 *
 * Parked loops resume in FIFO order, one at a time: the next one only once the promise
 * work the previous one started has drained, and none once the new slice is spent. So
 * a turn holds about one budget of work however many loops were parked, and a loop that
 * parks again goes to the back instead of taking every slice.
 *
 * @internal
 */

import type { Client } from '@bosun/apiserver';

/** Continuous work, in ms, after which work loops let the event loop turn. */
export const EVENT_LOOP_BUDGET_MS = 5;

/** When the current run of work without an event-loop turn started; -1 when none runs. */
let sliceStart = -1;
let armed = false;
const parked: (() => void)[] = [];

function arm(): void {
  if (armed) return;
  armed = true;
  setImmediate(onTurn);
}

/** True when the current slice is spent; starts one (and arms its end) when none runs. */
function spent(): boolean {
  const now = performance.now();
  if (sliceStart < 0) {
    sliceStart = now;
    arm();
    return false;
  }
  return now - sliceStart > EVENT_LOOP_BUDGET_MS;
}

/** The event loop reached its check phase (its timers and I/O ran): a new slice starts. */
function onTurn(): void {
  armed = false;
  sliceStart = -1;
  releaseNext();
}

function releaseNext(): void {
  if (parked.length === 0) return;
  if (spent()) {
    arm();
    return;
  }
  parked.shift()!();
  // A tick queued from a microtask runs once every microtask has: after the work the
  // resumed loop started, not before it.
  queueMicrotask(() => process.nextTick(releaseNext));
}

/**
 * True when work has run for more than {@link EVENT_LOOP_BUDGET_MS} without letting the
 * event loop turn, or when other loops are parked (so they are not overtaken).
 */
export function shouldYield(): boolean {
  return parked.length > 0 || spent();
}

/** Resolves after the event loop turned, when this loop's turn in the FIFO comes. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => {
    parked.push(resolve);
    arm();
  });
}

/**
 * `client` as reconciles get it: every call but `watch` first lets the event loop turn
 * when {@link shouldYield} says so, so a reconcile that makes hundreds of calls in a row
 * (a ReplicaSet creating 500 pods) gives the host's timers and I/O their turn. Not
 * starved, a call goes straight through, without an extra promise hop. The client the
 * host itself uses is left alone: its calls are never reordered behind the controllers'.
 */
export function cooperativeClient(client: Client): Client {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(client, {
    get(target, prop) {
      const value: unknown = Reflect.get(target, prop, target);
      if (typeof value !== 'function' || prop === 'watch') return value;
      let w = wrapped.get(prop);
      if (!w) {
        const fn = value as (...args: unknown[]) => unknown;
        w = (...args: unknown[]) => (shouldYield() ? yieldToEventLoop().then(() => fn.apply(target, args)) : fn.apply(target, args));
        wrapped.set(prop, w);
      }
      return w;
    },
  });
}
