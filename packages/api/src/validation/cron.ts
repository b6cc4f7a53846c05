// Cron schedules as the CronJob controller reads them: the standard 5-field format of
// robfig/cron (ParseStandard) with its error messages, descriptors, and time zones.
import { ApiError } from '../errors';

/** A parsed cron schedule. */
export interface CronSchedule {
  /** The schedule text as given. */
  readonly source: string;
  /** The zone of a `CRON_TZ=`/`TZ=` prefix, when the text carries one. */
  readonly timeZone: string | undefined;
  /**
   * The first activation strictly after `afterMs` (epoch milliseconds), in epoch
   * milliseconds. Wall-clock fields are read in the schedule's own zone (prefix), else
   * `timeZone`, else UTC. Like robfig/cron, times that do not exist on a DST change are
   * skipped and repeated times fire twice. Undefined when nothing matches within five
   * years (e.g. `0 0 30 2 *`).
   */
  next(afterMs: number, timeZone?: string): number | undefined;
}

interface Bounds {
  min: number;
  max: number;
  names?: Readonly<Record<string, number>>;
}
const MINUTES: Bounds = { min: 0, max: 59 };
const HOURS: Bounds = { min: 0, max: 23 };
const DOM: Bounds = { min: 1, max: 31 };
const MONTHS: Bounds = { min: 1, max: 12, names: { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 } };
const DOW: Bounds = { min: 0, max: 6, names: { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 } };

const DESCRIPTORS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

interface Field {
  bits: boolean[];
  /** The field was `*` or `?` (with step 1): day-of-month and day-of-week then combine with AND. */
  star: boolean;
}

const fail = (msg: string): never => {
  throw new ApiError('BadRequest', msg);
};

function parseUint(expr: string): number {
  if (!/^[+-]?[0-9]+$/.test(expr)) fail(`failed to parse int from ${expr}: strconv.Atoi: parsing ${JSON.stringify(expr)}: invalid syntax`);
  const n = Number(expr);
  if (n < 0) fail(`negative number (${n}) not allowed: ${expr}`);
  return n;
}

function parseIntOrName(expr: string, b: Bounds): number {
  const named = b.names?.[expr.toLowerCase()];
  return named ?? parseUint(expr);
}

function parseRange(expr: string, b: Bounds, field: Field): void {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  const single = lowAndHigh.length === 1;
  let start: number;
  let end: number;
  let star = false;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = b.min;
    end = b.max;
    star = true;
  } else {
    start = parseIntOrName(lowAndHigh[0], b);
    if (lowAndHigh.length === 1) end = start;
    else if (lowAndHigh.length === 2) end = parseIntOrName(lowAndHigh[1], b);
    else return fail(`too many hyphens: ${expr}`);
  }
  let step = 1;
  if (rangeAndStep.length === 2) {
    step = parseUint(rangeAndStep[1]);
    if (single) end = b.max;
    if (step > 1) star = false;
  } else if (rangeAndStep.length > 2) {
    fail(`too many slashes: ${expr}`);
  }
  if (start < b.min) fail(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) fail(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) fail(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
  if (step === 0) fail(`step of range should be a positive number: ${expr}`);
  for (let i = start; i <= end; i += step) field.bits[i] = true;
  if (star) field.star = true;
}

function parseField(text: string, b: Bounds): Field {
  const field: Field = { bits: [], star: false };
  for (const expr of text.split(',')) parseRange(expr, b, field);
  return field;
}

const DURATION_UNITS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, 'μs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Go's time.ParseDuration, in milliseconds; undefined when malformed. */
function parseGoDuration(s: string): number | undefined {
  let rest = s;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    sign = rest[0] === '-' ? -1 : 1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  const re = /^([0-9]*\.?[0-9]*)(ns|us|µs|μs|ms|s|m|h)/;
  while (rest !== '') {
    const m = re.exec(rest);
    if (!m || m[1] === '' || m[1] === '.') return undefined;
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    rest = rest.slice(m[0].length);
  }
  return sign * total;
}

/** Whether `tz` names a time zone this runtime knows (IANA names such as `Europe/Paris`, `UTC`). */
export function isValidTimeZone(tz: string): boolean {
  if (!tz) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(tz, f);
  }
  return f;
}

/** The wall-clock time at `instant` in `tz`, as milliseconds of a UTC date with the same fields. */
function wallClock(instant: number, tz: string): number {
  if (tz === 'UTC') return instant;
  const parts: Record<string, number> = {};
  for (const p of formatter(tz).formatToParts(new Date(instant))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const ms = instant - Math.floor(instant / 1000) * 1000;
  return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second) + ms;
}

/** The instants whose wall clock in `tz` reads `wall`: none in a DST gap, two in a repeated hour. */
function instantsOf(wall: number, tz: string): number[] {
  if (tz === 'UTC') return [wall];
  const offsets = new Set<number>();
  for (const probe of [wall - 86_400_000, wall, wall + 86_400_000]) offsets.add(wallClock(probe, tz) - probe);
  const out: number[] = [];
  for (const o of offsets) {
    const t = wall - o;
    if (wallClock(t, tz) === wall && !out.includes(t)) out.push(t);
  }
  return out.sort((a, b) => a - b);
}

class SpecSchedule implements CronSchedule {
  constructor(
    readonly source: string,
    readonly timeZone: string | undefined,
    private readonly minute: Field,
    private readonly hour: Field,
    private readonly dom: Field,
    private readonly month: Field,
    private readonly dow: Field,
  ) {}

  private dayMatches(d: Date): boolean {
    const domMatch = !!this.dom.bits[d.getUTCDate()];
    const dowMatch = !!this.dow.bits[d.getUTCDay()];
    return this.dom.star || this.dow.star ? domMatch && dowMatch : domMatch || dowMatch;
  }

  next(afterMs: number, timeZone?: string): number | undefined {
    const tz = this.timeZone ?? timeZone ?? 'UTC';
    const first = Math.floor(afterMs / 60_000) * 60_000 + 60_000;
    // Wall-clock order is not instant order around a DST change: start the walk a few
    // hours early and, once a match is found, look a few hours further for an earlier one.
    const slack = tz === 'UTC' ? 0 : DST_SLACK_MS;
    let wall = Math.floor(wallClock(first, tz) / 60_000) * 60_000 - slack;
    const yearLimit = new Date(wall).getUTCFullYear() + 5;
    let best: number | undefined;
    let stopAt = Infinity;
    for (;;) {
      if (wall > stopAt) return best;
      const d = new Date(wall);
      const y = d.getUTCFullYear();
      if (y > yearLimit) return best;
      const mo = d.getUTCMonth();
      if (!this.month.bits[mo + 1]) {
        wall = Date.UTC(y, mo + 1, 1);
        continue;
      }
      if (!this.dayMatches(d)) {
        wall = Date.UTC(y, mo, d.getUTCDate() + 1);
        continue;
      }
      if (!this.hour.bits[d.getUTCHours()]) {
        wall = Date.UTC(y, mo, d.getUTCDate(), d.getUTCHours() + 1);
        continue;
      }
      if (this.minute.bits[d.getUTCMinutes()]) {
        for (const t of instantsOf(wall, tz)) {
          if (t > afterMs && (best === undefined || t < best)) best = t;
        }
        if (best !== undefined && stopAt === Infinity) stopAt = wall + slack;
      }
      wall += 60_000;
    }
  }
}

/** Larger than any DST shift (at most two hours anywhere). */
const DST_SLACK_MS = 3 * 3_600_000;

class EverySchedule implements CronSchedule {
  readonly timeZone = undefined;
  constructor(
    readonly source: string,
    private readonly delayMs: number,
  ) {}
  next(afterMs: number): number {
    return Math.floor(afterMs / 1000) * 1000 + this.delayMs;
  }
}

/**
 * Parses a cron schedule as the CronJob controller does (robfig/cron ParseStandard):
 * five fields (minute, hour, day of month, month, day of week) with `*`, `?`, lists,
 * ranges, steps (`*\/15`, `1-30/2`, `5/10`), month and weekday names (`JAN`, `MON-FRI`),
 * the descriptors `@yearly` `@annually` `@monthly` `@weekly` `@daily` `@midnight`
 * `@hourly` and `@every <duration>`, and an optional `CRON_TZ=<zone> `/`TZ=<zone> `
 * prefix. When both day fields are restricted a day matches either, as in cron.
 * Throws an ApiError BadRequest with robfig/cron's message (`expected exactly 5 fields,
 * found 1: [x]`, `end of range (60) above maximum (59): 0-60`, …).
 */
export function parseCron(text: string): CronSchedule {
  let spec = text.trim();
  if (spec === '') fail('empty spec string');
  let timeZone: string | undefined;
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) {
    const space = spec.indexOf(' ');
    const eq = spec.indexOf('=');
    const zone = space < 0 ? spec.slice(eq + 1) : spec.slice(eq + 1, space);
    if (!isValidTimeZone(zone)) fail(`provided bad location ${zone}: unknown time zone ${zone}`);
    timeZone = zone;
    spec = space < 0 ? '' : spec.slice(space).trim();
  }
  if (spec.startsWith('@')) {
    if (spec.startsWith('@every ')) {
      const d = parseGoDuration(spec.slice('@every '.length).trim());
      if (d === undefined) return fail(`failed to parse duration ${spec}: time: invalid duration ${JSON.stringify(spec.slice('@every '.length).trim())}`);
      const delay = Math.max(1000, d - (d % 1000));
      return new EverySchedule(text, delay);
    }
    const expanded = DESCRIPTORS[spec];
    if (!expanded) return fail(`unrecognized descriptor: ${spec}`);
    spec = expanded;
  }
  const fields = spec.split(/\s+/).filter((f) => f !== '');
  if (fields.length !== 5) fail(`expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`);
  return new SpecSchedule(
    text,
    timeZone,
    parseField(fields[0], MINUTES),
    parseField(fields[1], HOURS),
    parseField(fields[2], DOM),
    parseField(fields[3], MONTHS),
    parseField(fields[4], DOW),
  );
}
