import { describe, expect, it } from 'vitest';
import { defaultObject } from '../defaults/index';
import { objectWith, startsWith } from './fixtures';
import { validateObject } from './index';

const cause = (field: string, message: string) => expect.objectContaining({ field, message: expect.stringMatching(startsWith(message)) });
const JOB = 'batch/v1/Job';
const CJ = 'batch/v1/CronJob';
const jobSpecOf = (o: any) => o.spec.jobTemplate.spec;

describe('Job validation', () => {
  it.each<[string, (o: any) => void, string, string]>([
    ['restartPolicy is required', (o) => delete o.spec.template.spec.restartPolicy, 'spec.template.spec.restartPolicy', 'Required value: valid values: "OnFailure", "Never"'],
    ['restartPolicy is not Always', (o) => (o.spec.template.spec.restartPolicy = 'Always'), 'spec.template.spec.restartPolicy', 'Unsupported value: "Always": supported values: "OnFailure", "Never"'],
    ['completions are not negative', (o) => (o.spec.completions = -1), 'spec.completions', 'Invalid value: -1: must be greater than or equal to 0'],
    ['parallelism is not negative', (o) => (o.spec.parallelism = -1), 'spec.parallelism', 'Invalid value: -1: must be greater than or equal to 0'],
    ['backoffLimit is not negative', (o) => (o.spec.backoffLimit = -1), 'spec.backoffLimit', 'Invalid value: -1: must be greater than or equal to 0'],
    ['activeDeadlineSeconds is positive', (o) => (o.spec.activeDeadlineSeconds = 0), 'spec.activeDeadlineSeconds', 'Invalid value: 0: must be greater than 0'],
    ['completionMode is supported', (o) => (o.spec.completionMode = 'Ordered'), 'spec.completionMode', 'Unsupported value: "Ordered": supported values: "NonIndexed", "Indexed"'],
    [
      'Indexed jobs need completions',
      (o) => Object.assign(o.spec, { completionMode: 'Indexed', parallelism: 2 }),
      'spec.completions',
      'Required value: when completion mode is Indexed',
    ],
    [
      'a given selector matches the template',
      (o) => Object.assign(o.spec, { manualSelector: true, selector: { matchLabels: { app: 'x' } } }),
      'spec.template.metadata.labels',
      'Invalid value: {}: `selector` does not match template `labels`',
    ],
    ['the template has containers', (o) => (o.spec.template.spec.containers = []), 'spec.template.spec.containers', 'Required value'],
    ['the template is required', (o) => delete o.spec.template, 'spec.template', 'Required value'],
  ])('%s', (_, change, field, message) => {
    expect(validateObject(defaultObject(objectWith(JOB, change)))).toContainEqual(cause(field, message));
  });

  it.each<[string, (o: any) => void]>([
    ['a Never restart policy', (o) => (o.spec.template.spec.restartPolicy = 'Never')],
    ['a work-queue job with parallelism only', (o) => (o.spec.parallelism = 2)],
    ['an Indexed job', (o) => Object.assign(o.spec, { completionMode: 'Indexed', completions: 5, parallelism: 2 })],
    ['a matching manual selector', (o) => {
      Object.assign(o.spec, { manualSelector: true, selector: { matchLabels: { 'controller-uid': 'abc' } } });
      o.spec.template.metadata = { labels: { 'controller-uid': 'abc' } };
    }],
  ])('accepts %s', (_, change) => {
    expect(validateObject(defaultObject(objectWith(JOB, change)))).toEqual([]);
  });

  it.each<[string, (o: any) => void, string, string]>([
    ['the template is immutable', (o) => (o.spec.template.spec.containers[0].image = 'busybox:2'), 'spec.template', 'Invalid value: '],
    ['completions are immutable', (o) => (o.spec.completions = 3), 'spec.completions', 'Invalid value: 3: field is immutable'],
    ['completionMode is immutable', (o) => (o.spec.completionMode = 'Indexed'), 'spec.completionMode', 'Invalid value: "Indexed": field is immutable'],
    ['the selector is immutable', (o) => (o.spec.selector = { matchLabels: { a: 'b' } }), 'spec.selector', 'Invalid value: {"matchLabels":{"a":"b"}}: field is immutable'],
  ])('on update, %s', (_, change, field, message) => {
    const old = defaultObject(objectWith(JOB));
    const job = structuredClone(old);
    change(job);
    expect(validateObject(job, old)).toContainEqual(cause(field, message));
  });

  it.each<[string, (o: any) => void]>([
    ['parallelism changes', (o) => (o.spec.parallelism = 5)],
    ['suspension', (o) => (o.spec.suspend = true)],
    ['a longer backoff', (o) => (o.spec.backoffLimit = 10)],
  ])('on update, allows %s', (_, change) => {
    const old = defaultObject(objectWith(JOB));
    const job = structuredClone(old);
    change(job);
    expect(validateObject(job, old)).toEqual([]);
  });

  it('lets a suspended job that never started change its scheduling directives', () => {
    const old = defaultObject(objectWith(JOB, (o) => (o.spec.suspend = true)));
    const job = structuredClone(old);
    job.spec.template.spec.nodeSelector = { zone: 'a' };
    job.spec.template.metadata = { labels: { queue: 'q1' }, annotations: { note: 'x' } };
    expect(validateObject(job, old)).toEqual([]);
    old.status = { startTime: '2026-01-01T00:00:00Z' };
    expect(validateObject(job, old)).toContainEqual(cause('spec.template', 'Invalid value: '));
  });

  it('lets an Indexed job scale completions with parallelism', () => {
    const old = defaultObject(objectWith(JOB, (o) => Object.assign(o.spec, { completionMode: 'Indexed', completions: 3, parallelism: 3 })));
    const job = structuredClone(old);
    Object.assign(job.spec, { completions: 5, parallelism: 5 });
    expect(validateObject(job, old)).toEqual([]);
    job.spec.parallelism = 4;
    expect(validateObject(job, old)).toContainEqual(cause('spec.completions', 'Invalid value: 5: can only be modified in tandem with spec.parallelism'));
  });
});

describe('CronJob validation', () => {
  it.each<[string, (o: any) => void, string, string]>([
    ['the schedule is required', (o) => delete o.spec.schedule, 'spec.schedule', 'Required value'],
    ['the schedule parses', (o) => (o.spec.schedule = 'x'), 'spec.schedule', 'Invalid value: "x": expected exactly 5 fields, found 1: [x]'],
    ['schedule fields are in range', (o) => (o.spec.schedule = '0 25 * * *'), 'spec.schedule', 'Invalid value: "0 25 * * *": end of range (25) above maximum (23): 25'],
    [
      'the schedule carries no time zone',
      (o) => (o.spec.schedule = 'CRON_TZ=UTC 0 3 * * *'),
      'spec.schedule',
      'Invalid value: "CRON_TZ=UTC 0 3 * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    ],
    ['the time zone is known', (o) => (o.spec.timeZone = 'Mars/Olympus'), 'spec.timeZone', 'Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus'],
    ['the time zone is explicit', (o) => (o.spec.timeZone = 'Local'), 'spec.timeZone', 'Invalid value: "Local": timeZone must be an explicit time zone'],
    ['the time zone is not empty', (o) => (o.spec.timeZone = ''), 'spec.timeZone', 'Invalid value: "": timeZone must be nil or non-empty string'],
    ['concurrencyPolicy is supported', (o) => (o.spec.concurrencyPolicy = 'Queue'), 'spec.concurrencyPolicy', 'Unsupported value: "Queue": supported values: "Allow", "Forbid", "Replace"'],
    ['startingDeadlineSeconds is not negative', (o) => (o.spec.startingDeadlineSeconds = -1), 'spec.startingDeadlineSeconds', 'Invalid value: -1: must be greater than or equal to 0'],
    ['history limits are not negative', (o) => (o.spec.failedJobsHistoryLimit = -1), 'spec.failedJobsHistoryLimit', 'Invalid value: -1: must be greater than or equal to 0'],
    [
      'the job template restarts OnFailure or Never',
      (o) => delete jobSpecOf(o).template.spec.restartPolicy,
      'spec.jobTemplate.spec.template.spec.restartPolicy',
      'Required value: valid values: "OnFailure", "Never"',
    ],
    ['the job template has no selector', (o) => (jobSpecOf(o).selector = { matchLabels: { a: 'b' } }), 'spec.jobTemplate.spec.selector', 'Invalid value: {"matchLabels":{"a":"b"}}: `selector` will be auto-generated'],
    ['the job template has containers', (o) => (jobSpecOf(o).template.spec.containers = []), 'spec.jobTemplate.spec.template.spec.containers', 'Required value'],
    ['the name leaves room for the job suffix', (o) => (o.metadata.name = 'x'.repeat(53)), 'metadata.name', 'Invalid value: "xxx'],
  ])('%s', (_, change, field, message) => {
    expect(validateObject(defaultObject(objectWith(CJ, change)))).toContainEqual(cause(field, message));
  });

  it.each<[string, string]>([
    ['every minute', '*/1 * * * *'],
    ['weekdays', '30 9 * * MON-FRI'],
    ['a descriptor', '@hourly'],
    ['ranges and lists', '0,30 8-18/2 1-15 JAN,JUL ?'],
  ])('accepts a schedule of %s', (_, schedule) => {
    expect(validateObject(defaultObject(objectWith(CJ, (o) => (o.spec.schedule = schedule))))).toEqual([]);
  });

  it('accepts a time zone', () => {
    expect(validateObject(defaultObject(objectWith(CJ, (o) => (o.spec.timeZone = 'Asia/Shanghai'))))).toEqual([]);
  });

  it('keeps accepting a TZ prefix an object already had', () => {
    const old = defaultObject(objectWith(CJ, (o) => (o.spec.schedule = 'TZ=UTC 0 3 * * *')));
    const cj = structuredClone(old);
    cj.spec.suspend = true;
    expect(validateObject(cj, old)).toEqual([]);
  });
});
