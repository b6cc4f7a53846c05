import { child, isObj, setDefault } from './util';

/** The CPU utilization an HPA targets when it names no metric: 80%. */
export const DEFAULT_CPU_UTILIZATION = 80;

/** Scale-up rules an HPA gets when it sets none: no stabilization, the larger of +100% and +4 pods per 15s. */
export function defaultScaleUpRules(): Record<string, unknown> {
  return {
    stabilizationWindowSeconds: 0,
    selectPolicy: 'Max',
    policies: [
      { type: 'Pods', value: 4, periodSeconds: 15 },
      { type: 'Percent', value: 100, periodSeconds: 15 },
    ],
  };
}

/** Scale-down rules an HPA gets when it sets none: a 300s stabilization window, then up to -100% per 15s. */
export function defaultScaleDownRules(): Record<string, unknown> {
  return {
    stabilizationWindowSeconds: 300,
    selectPolicy: 'Max',
    policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }],
  };
}

/**
 * HorizontalPodAutoscaler (autoscaling/v2) defaults: minReplicas 1; one Resource metric
 * (cpu at 80% average utilization) when none is given; and behavior with every unset
 * part of scaleUp and scaleDown filled from {@link defaultScaleUpRules} and
 * {@link defaultScaleDownRules}. Upstream fills behavior only when the user gives one
 * and applies the same values in the controller otherwise; here it is always filled so
 * the controller reads one place. Idempotent.
 */
export function defaultHorizontalPodAutoscaler(obj: unknown): void {
  if (!isObj(obj)) return;
  const spec = child(obj, 'spec');
  if (!spec) return;
  setDefault(spec, 'minReplicas', 1);
  if (!Array.isArray(spec.metrics) || spec.metrics.length === 0) {
    spec.metrics = [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: DEFAULT_CPU_UTILIZATION } } }];
  }
  const behavior = child(spec, 'behavior');
  if (!behavior) return;
  fillRules(behavior, 'scaleUp', defaultScaleUpRules());
  fillRules(behavior, 'scaleDown', defaultScaleDownRules());
}

function fillRules(behavior: Record<string, any>, key: string, defaults: Record<string, unknown>): void {
  const rules = child(behavior, key);
  if (!rules) return;
  for (const [k, v] of Object.entries(defaults)) setDefault(rules, k, v);
}
