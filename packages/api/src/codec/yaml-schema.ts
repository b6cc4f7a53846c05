import type { ScalarTag, Tags } from 'yaml';

/**
 * The YAML dialect Bosun reads and writes: the YAML 1.2 core schema (so `on`, `yes`,
 * `no` and `off` stay strings, and timestamps stay strings) with two Kubernetes-minded
 * changes:
 *
 * - a leading-zero integer (`defaultMode: 0644`) is octal, as the YAML 1.1 reader
 *   behind kubectl reads it; in plain YAML 1.2 it would be decimal 644, which is not a
 *   valid file mode. `0o644` is octal too.
 * - an integer literal a number cannot hold exactly is kept as a `bigint`, so the
 *   decoder can refuse it instead of silently rounding it (`12345678901234567891` would
 *   become `12345678901234567000`); on the way out, whole numbers beyond 2^53 are
 *   written in exponent form (`1.2345678901234567e+19`), which reads back exactly.
 *
 * Tags are tried in order, so the legacy octal tag sits before the decimal one.
 */
export function bosunTags(core: Tags): Tags {
  const out: Tags = [];
  for (const tag of core) {
    if (typeof tag === 'string' || (tag.tag !== 'tag:yaml.org,2002:int' && tag.tag !== 'tag:yaml.org,2002:float')) {
      out.push(tag);
      continue;
    }
    const t = tag as ScalarTag;
    if (t.tag === 'tag:yaml.org,2002:float') {
      // Whole numbers beyond 2^53 go out as floats in exponent form, which read back as the same number.
      const stringify = t.stringify;
      out.push({ ...t, stringify: (node, ...rest) => (isUnsafeInteger(node.value) ? (node.value as number).toExponential() : stringify ? stringify(node, ...rest) : String(node.value)) });
      continue;
    }
    // Integer tags write only the integers a number holds exactly; the rest fall through to the float tags.
    const int = { ...t, identify: (v: unknown) => typeof v === 'bigint' || (Number.isSafeInteger(v) && (t.identify?.(v) ?? true)) };
    if (t.format === 'OCT') out.push({ ...int, resolve: (s: string) => exactInt(s.slice(2), 8, s) });
    else if (t.format === 'HEX') out.push({ ...int, resolve: (s: string) => exactInt(s.slice(2), 16, s) });
    else out.push(legacyOctal, { ...int, resolve: (s: string) => exactInt(s, 10, s) });
  }
  return out;
}

const isUnsafeInteger = (v: unknown): boolean => typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v);

/** `0644` → 420, `-010` → -8. Never chosen to write numbers (identify is false). */
const legacyOctal: ScalarTag = {
  identify: () => false,
  default: true,
  tag: 'tag:yaml.org,2002:int',
  format: 'OCT',
  test: /^[-+]?0[0-7]+$/,
  resolve: (s) => {
    const neg = s.startsWith('-');
    const digits = s.replace(/^[-+]?0/, '');
    const v = exactInt(digits, 8, `0o${digits}`);
    return neg ? -v : v;
  },
};

/**
 * Parses an integer literal, returning a bigint when a number cannot hold it exactly
 * (`9007199254740993` would become …992). Large literals a number does hold exactly
 * (`9007199254740992`, `100000000000000000000`) are numbers.
 */
function exactInt(digits: string, radix: 8 | 10 | 16, original: string): number | bigint {
  const n = parseInt(digits, radix);
  if (Number.isSafeInteger(n)) return n;
  const prefix = radix === 8 ? '0o' : radix === 16 ? '0x' : '';
  const sign = original.startsWith('-') ? -1n : 1n;
  const big = sign * BigInt(`${prefix}${digits.replace(/^[-+]/, '')}`);
  return Number.isFinite(n) && BigInt(n) === big ? n : big;
}
