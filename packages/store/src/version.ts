import type { KubeObject } from '@bosun/api';
import { cloneJson } from './clone-json';
import { deepFreeze } from './deep-freeze';

/** Label map as stored; frozen and shared. */
export type Labels = Readonly<Record<string, string>>;

/** The labels of an object without any: shared by every such version. */
export const NO_LABELS: Labels = Object.freeze({});

/**
 * One immutable state of one object: the JSON text written at revision `rev`, the
 * labels and uid (kept beside the text so label selectors and preconditions never
 * parse it) and, made on first need, a deep-frozen parsed copy shared by watch events,
 * field selectors and repeated reads (kept as long as the version is: the live object
 * or the history).
 */
export class Version {
  private parsed: KubeObject | undefined;
  /** Copies handed out by parsing the text (see {@link copy}). */
  private parses = 0;

  constructor(
    readonly rev: number,
    readonly json: string,
    readonly labels: Labels,
    /** `metadata.uid`, kept for uid preconditions. */
    readonly uid: string | undefined,
  ) {}

  /** The shared, deep-frozen object. */
  frozen(): KubeObject {
    return (this.parsed ??= deepFreeze(JSON.parse(this.json) as KubeObject));
  }

  /**
   * A fresh mutable copy for a caller: cloned from the frozen copy when there is one
   * (about twice as fast as parsing), else parsed. A version read a second time gets
   * its frozen copy then, so the reads after that clone: objects read once cost no
   * memory beyond their text, objects read again (repeated lists and gets) read fast.
   */
  copy<T>(): T {
    if (this.parsed) return cloneJson(this.parsed) as T;
    if (this.parses++ === 0) return JSON.parse(this.json) as T;
    return cloneJson(this.frozen()) as T;
  }
}

/**
 * The labels of an object about to be stored as `json`. Read from the caller's object
 * (cheap) when every value is a string; otherwise from the JSON, so they always agree
 * with what a reader of the stored object sees.
 */
export function labelsOf(obj: KubeObject, json: string): Labels {
  const labels = obj.metadata?.labels;
  if (labels == null) return NO_LABELS;
  let out: Record<string, string> | undefined;
  for (const key in labels) {
    const value = (labels as Record<string, unknown>)[key];
    if (typeof value !== 'string') return fromJson(json);
    (out ??= {})[key] = value;
  }
  return out ? Object.freeze(out) : NO_LABELS;
}

function fromJson(json: string): Labels {
  const labels = (JSON.parse(json) as KubeObject).metadata?.labels;
  if (labels == null || typeof labels !== 'object') return NO_LABELS;
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) if (typeof value === 'string') out[key] = value;
  return Object.freeze(out);
}
