import { defaultPodTemplate } from './pod';
import { arr, child, isObj, setDefault, setDefaultString } from './util';

const MAX_INT32 = 2147483647;

/**
 * Job defaults (batch/v1 SetDefaults_Job): when neither completions nor parallelism is
 * set both become 1, otherwise parallelism defaults to 1 and completions stays unset (a
 * work-queue job); backoffLimit 6 (MaxInt32 with backoffLimitPerIndex); completionMode
 * NonIndexed; suspend false; podReplacementPolicy TerminatingOrFailed (Failed with a
 * podFailurePolicy, whose onPodConditions default to status True); metadata.labels
 * from the template's labels when empty. The pod template gets
 * {@link defaultPodTemplate} but no restartPolicy: a Job must choose OnFailure or Never.
 * manualSelector and selector are left alone. Idempotent.
 */
export function defaultJob(obj: unknown): void {
  if (!isObj(obj)) return;
  const spec = child(obj, 'spec');
  if (!spec) return;
  defaultJobSpec(spec);
  const tpl = spec.template;
  const labels = isObj(tpl) && isObj(tpl.metadata) && isObj(tpl.metadata.labels) ? tpl.metadata.labels : undefined;
  if (labels && Object.keys(labels).length > 0) {
    const meta = child(obj, 'metadata');
    if (meta && (!isObj(meta.labels) || Object.keys(meta.labels).length === 0)) meta.labels = { ...labels };
  }
}

function defaultJobSpec(spec: Record<string, any>): void {
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', spec.backoffLimitPerIndex != null ? MAX_INT32 : 6);
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  if (isObj(spec.podFailurePolicy)) {
    for (const rule of arr(spec.podFailurePolicy.rules)) {
      if (!isObj(rule)) continue;
      for (const p of arr(rule.onPodConditions)) if (isObj(p)) setDefaultString(p, 'status', 'True');
    }
  }
  setDefault(spec, 'podReplacementPolicy', isObj(spec.podFailurePolicy) ? 'Failed' : 'TerminatingOrFailed');
  defaultPodTemplate(spec.template, { restartPolicy: false });
}

/**
 * CronJob defaults (batch/v1 SetDefaults_CronJob): concurrencyPolicy Allow, suspend
 * false, successfulJobsHistoryLimit 3, failedJobsHistoryLimit 1. As upstream, the job
 * template only gets its pod template defaulted (without restartPolicy); the Job-level
 * defaults apply when the controller creates each Job. Idempotent.
 */
export function defaultCronJob(obj: unknown): void {
  if (!isObj(obj)) return;
  const spec = child(obj, 'spec');
  if (!spec) return;
  setDefaultString(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  const jt = spec.jobTemplate;
  if (isObj(jt) && isObj(jt.spec)) defaultPodTemplate(jt.spec.template, { restartPolicy: false });
}
