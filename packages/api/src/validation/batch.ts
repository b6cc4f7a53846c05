// Job and CronJob, as batch/validation checks them.
import { isApiError, type FieldCause } from '../errors';
import { isValidTimeZone, parseCron } from './cron';
import { validatePodTemplate } from './pod';
import { SELECTOR_MISMATCH } from './workloads';
import { clone, compileSelector, FieldPath, fieldError, has, immutable, int, isObj, nonNegative, obj, semanticEqual, templateLabels, validateLabelSelector, type Causes, type Path } from './util';

const COMPLETION_MODES = ['NonIndexed', 'Indexed'];
const JOB_RESTART_POLICIES = ['OnFailure', 'Never'];
const MAX_PARALLELISM_INDEXED = 100_000;

/**
 * A Job spec at `path` (`spec`, `spec.jobTemplate.spec`): parallelism, completions,
 * backoffLimit, activeDeadlineSeconds and ttlSecondsAfterFinished ≥ 0; completionMode
 * NonIndexed or Indexed (Indexed needs completions); the template with restartPolicy
 * OnFailure or Never (`Required value: valid values: "OnFailure", "Never"` when absent);
 * a selector, when given, valid and matching the template's labels.
 */
export function validateJobSpec(spec: unknown, path: Path = FieldPath.root('spec')): FieldCause[] {
  if (!isObj(spec)) return [fieldError.required(path)];
  const s = spec;
  const causes: Causes = [];
  for (const k of ['parallelism', 'completions', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex', 'maxFailedIndexes']) nonNegative(s[k], path.child(k), causes);
  if (has(s.activeDeadlineSeconds)) {
    const n = int(s.activeDeadlineSeconds, path.child('activeDeadlineSeconds'), causes);
    if (n !== undefined && n <= 0) causes.push(fieldError.invalid(path.child('activeDeadlineSeconds'), n, 'must be greater than 0'));
  }
  if (has(s.completionMode)) {
    if (!COMPLETION_MODES.includes(s.completionMode)) causes.push(fieldError.notSupported(path.child('completionMode'), s.completionMode, COMPLETION_MODES));
    if (s.completionMode === 'Indexed') {
      if (!has(s.completions)) causes.push(fieldError.required(path.child('completions'), 'when completion mode is Indexed'));
      if (typeof s.parallelism === 'number' && s.parallelism > MAX_PARALLELISM_INDEXED) {
        causes.push(fieldError.invalid(path.child('parallelism'), s.parallelism, `must be less than or equal to ${MAX_PARALLELISM_INDEXED} when completion mode is Indexed`));
      }
    }
  }
  if (has(s.backoffLimitPerIndex) && s.completionMode !== 'Indexed') causes.push(fieldError.required(path.child('completionMode'), "when backoffLimitPerIndex is specified, must be 'Indexed'"));
  if (has(s.podReplacementPolicy) && !['TerminatingOrFailed', 'Failed'].includes(s.podReplacementPolicy)) {
    causes.push(fieldError.notSupported(path.child('podReplacementPolicy'), s.podReplacementPolicy, ['Failed', 'TerminatingOrFailed']));
  }
  if (has(s.podFailurePolicy) && s.podReplacementPolicy === 'TerminatingOrFailed') {
    causes.push(fieldError.notSupported(path.child('podReplacementPolicy'), s.podReplacementPolicy, ['Failed']));
  }
  const tplPath = path.child('template');
  causes.push(
    ...validatePodTemplate(s.template, tplPath, { restartPolicies: JOB_RESTART_POLICIES, restartPolicyRequired: 'valid values: "OnFailure", "Never"' }),
  );
  if (has(s.podFailurePolicy) && isObj(s.template) && obj(s.template.spec).restartPolicy === 'OnFailure') {
    causes.push(fieldError.invalid(tplPath.child('spec', 'restartPolicy'), 'OnFailure', 'only "Never" is supported when podFailurePolicy is specified'));
  }
  if (has(s.selector)) {
    causes.push(...validateLabelSelector(s.selector, path.child('selector')));
    const selector = compileSelector(s.selector);
    if (selector && isObj(s.template) && !selector.matches(templateLabels(s.template))) {
      causes.push(fieldError.invalid(tplPath.child('metadata', 'labels'), obj(obj(s.template.metadata).labels), SELECTOR_MISMATCH));
    }
  }
  return causes;
}

/**
 * The Job kind's validation: {@link validateJobSpec}; on update the selector,
 * completionMode, podFailurePolicy and backoffLimitPerIndex are immutable, completions
 * too (except that an Indexed job may change completions together with parallelism),
 * and the template is immutable — except, while the job is suspended and has never
 * started, its labels, annotations, node selector, node affinity, tolerations and
 * scheduling gates.
 */
export function validateJob(job: unknown, old?: unknown): FieldCause[] {
  const spec = obj(obj(job).spec);
  const causes = validateJobSpec(obj(job).spec);
  if (old === undefined) return causes;
  const oldJob = obj(old);
  const oldSpec = obj(oldJob.spec);
  const path = FieldPath.root('spec');
  causes.push(...immutable(spec.selector, oldSpec.selector, path.child('selector')));
  if (spec.completionMode === 'Indexed' && oldSpec.completionMode === 'Indexed') {
    if (!semanticEqual(spec.completions, oldSpec.completions) && has(spec.completions) && spec.completions !== spec.parallelism) {
      causes.push(fieldError.invalid(path.child('completions'), spec.completions, 'can only be modified in tandem with spec.parallelism'));
    }
  } else {
    causes.push(...immutable(spec.completions, oldSpec.completions, path.child('completions')));
  }
  for (const k of ['completionMode', 'podFailurePolicy', 'backoffLimitPerIndex', 'successPolicy', 'managedBy']) causes.push(...immutable(spec[k], oldSpec[k], path.child(k)));
  let tpl = spec.template;
  const neverStarted = !has(obj(oldJob.status).startTime);
  if (oldSpec.suspend === true && neverStarted && isObj(tpl) && isObj(oldSpec.template)) {
    tpl = clone(tpl);
    const ot = oldSpec.template;
    tpl.metadata = { ...obj(tpl.metadata), labels: obj(ot.metadata).labels, annotations: obj(ot.metadata).annotations };
    const ts = (tpl.spec = { ...obj(tpl.spec) });
    const os = obj(ot.spec);
    ts.nodeSelector = os.nodeSelector;
    ts.tolerations = os.tolerations;
    ts.schedulingGates = os.schedulingGates;
    ts.affinity = { ...obj(ts.affinity), nodeAffinity: obj(os.affinity).nodeAffinity };
  }
  if (!semanticEqual(tpl, oldSpec.template)) causes.push(fieldError.immutable(path.child('template'), spec.template));
  return causes;
}

const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];
const TZ_PART = /^[A-Za-z.\-_0-9+]{1,14}$/;

/** The message of a schedule that does not parse, or undefined. */
function scheduleError(schedule: string): string | undefined {
  try {
    parseCron(schedule);
    return undefined;
  } catch (e) {
    return isApiError(e) ? e.message : String(e);
  }
}

/**
 * The CronJob kind's validation: schedule required and parseable
 * (`spec.schedule: Invalid value: "x": expected exactly 5 fields, found 1: [x]`), no
 * TZ/CRON_TZ in it (use timeZone; kept on updates of objects that had one, unless
 * timeZone is also set), timeZone a known IANA zone, concurrencyPolicy Allow, Forbid or
 * Replace, startingDeadlineSeconds and history limits ≥ 0, the job template as a Job
 * spec without selector or manualSelector, and a name of at most 52 characters (the
 * controller appends an 11-character suffix to make each Job's name).
 */
export function validateCronJob(cj: unknown, old?: unknown): FieldCause[] {
  const c = obj(cj);
  const spec = obj(c.spec);
  const oldSpec = old === undefined ? undefined : obj(obj(old).spec);
  const path = FieldPath.root('spec');
  const causes: Causes = [];
  const name = obj(c.metadata).name;
  if (typeof name === 'string' && name.length > 52) causes.push(fieldError.invalid('metadata.name', name, 'must be no more than 52 characters'));
  const schedule = spec.schedule;
  if (typeof schedule !== 'string' || schedule === '') causes.push(fieldError.required(path.child('schedule')));
  else {
    const err = scheduleError(schedule);
    if (err) causes.push(fieldError.invalid(path.child('schedule'), schedule, err));
    const allowTZ = typeof oldSpec?.schedule === 'string' && oldSpec.schedule.includes('TZ');
    if (allowTZ && schedule.includes('TZ') && has(spec.timeZone)) causes.push(fieldError.invalid(path.child('schedule'), schedule, 'cannot use both timeZone field and TZ or CRON_TZ in schedule'));
    else if (!allowTZ && schedule.includes('TZ')) causes.push(fieldError.invalid(path.child('schedule'), schedule, 'cannot use TZ or CRON_TZ in schedule, use timeZone field instead'));
  }
  if (has(spec.timeZone) && (oldSpec === undefined || spec.timeZone !== oldSpec.timeZone)) causes.push(...validateTimeZone(spec.timeZone, path.child('timeZone')));
  if (has(spec.concurrencyPolicy) && !CONCURRENCY_POLICIES.includes(spec.concurrencyPolicy)) {
    causes.push(spec.concurrencyPolicy === '' ? fieldError.required(path.child('concurrencyPolicy')) : fieldError.notSupported(path.child('concurrencyPolicy'), spec.concurrencyPolicy, CONCURRENCY_POLICIES));
  }
  for (const k of ['startingDeadlineSeconds', 'successfulJobsHistoryLimit', 'failedJobsHistoryLimit']) nonNegative(spec[k], path.child(k), causes);
  const jtPath = path.child('jobTemplate');
  if (!isObj(spec.jobTemplate)) causes.push(fieldError.required(jtPath));
  else {
    const jobSpec = spec.jobTemplate.spec;
    causes.push(...validateJobSpec(isObj(jobSpec) ? { ...jobSpec, selector: undefined } : jobSpec, jtPath.child('spec')));
    if (isObj(jobSpec)) {
      if (has(jobSpec.selector)) causes.push(fieldError.invalid(jtPath.child('spec', 'selector'), jobSpec.selector, '`selector` will be auto-generated'));
      if (jobSpec.manualSelector === true) causes.push(fieldError.notSupported(jtPath.child('spec', 'manualSelector'), true, ['nil', 'false']));
    }
  }
  return causes;
}

function validateTimeZone(tz: unknown, path: Path): Causes {
  if (typeof tz !== 'string') return [fieldError.typeInvalid(path, tz, 'must be a string')];
  if (tz === '') return [fieldError.invalid(path, tz, 'timeZone must be nil or non-empty string')];
  if (tz.split('/').some((part) => part === '.' || part === '..' || part.startsWith('-') || !TZ_PART.test(part))) {
    return [fieldError.invalid(path, tz, `unknown time zone ${tz}`)];
  }
  if (tz.toLowerCase() === 'local') return [fieldError.invalid(path, tz, 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones')];
  if (!isValidTimeZone(tz)) return [fieldError.invalid(path, tz, `unknown time zone ${tz}`)];
  return [];
}
