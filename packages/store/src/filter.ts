import { parseFieldSelector, parseLabelSelector } from '@bosun/api';
import { StoreError } from './errors';
import type { StoreFilter } from './types';
import type { Version } from './version';

/** True when a stored version passes a list or watch filter. */
export type VersionFilter = (v: Version) => boolean;

/**
 * Parses the selectors of one list or watch call, once. Returns undefined when nothing
 * is filtered, so callers can skip the check. Label selectors read the labels kept
 * beside each version (no parsing); field selectors read its shared frozen object.
 * A malformed selector throws `BadRequest`.
 */
export function compileFilter(filter: StoreFilter | undefined): VersionFilter | undefined {
  const labelText = filter?.labelSelector?.trim();
  const fieldText = filter?.fieldSelector?.trim();
  const labels = labelText ? parse('label', labelText, parseLabelSelector) : undefined;
  const fields = fieldText ? parse('field', fieldText, parseFieldSelector) : undefined;
  const byLabels = labels && !labels.isEmpty() ? labels : undefined;
  const byFields = fields && !fields.isEmpty() ? fields : undefined;
  if (byLabels && byFields) return (v) => byLabels.matches(v.labels) && byFields.matches(v.frozen());
  if (byLabels) return (v) => byLabels.matches(v.labels);
  if (byFields) return (v) => byFields.matches(v.frozen());
  return undefined;
}

function parse<S>(what: string, text: string, parser: (text: string) => S): S {
  try {
    return parser(text);
  } catch (e) {
    throw new StoreError('BadRequest', `invalid ${what} selector ${JSON.stringify(text)}: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
}
