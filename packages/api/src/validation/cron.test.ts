import { describe, expect, it } from 'vitest';
import { isValidTimeZone, parseCron } from './cron';

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('parseCron', () => {
  it.each<[string, string, string, string, string?]>([
    ['every minute', '* * * * *', '2026-01-01T00:00:30Z', '2026-01-01T00:01:00.000Z'],
    ['is strictly after the given time', '* * * * *', '2026-01-01T00:01:00Z', '2026-01-01T00:02:00.000Z'],
    ['daily at 3am', '0 3 * * *', '2026-01-01T05:00:00Z', '2026-01-02T03:00:00.000Z'],
    ['every 15 minutes', '*/15 * * * *', '2026-01-01T00:16:00Z', '2026-01-01T00:30:00.000Z'],
    ['a range with a step', '10-40/10 * * * *', '2026-01-01T00:31:00Z', '2026-01-01T00:40:00.000Z'],
    ['N/step runs from N to the end', '50/5 * * * *', '2026-01-01T00:56:00Z', '2026-01-01T01:50:00.000Z'],
    ['a list', '0 8,12,18 * * *', '2026-01-01T12:30:00Z', '2026-01-01T18:00:00.000Z'],
    ['weekdays by name', '0 9 * * MON-FRI', '2026-01-02T10:00:00Z', '2026-01-05T09:00:00.000Z'],
    ['months by name', '0 0 1 JUN *', '2026-01-01T00:00:00Z', '2026-06-01T00:00:00.000Z'],
    ['? stands for any day', '0 0 ? * 0', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00.000Z'],
    ['restricted day of month and weekday match either', '0 0 13 * 5', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00.000Z'],
    ['a stepped weekday still ANDs with a starred month day', '0 0 * * */2', '2026-01-01T00:00:00Z', '2026-01-03T00:00:00.000Z'],
    ['@hourly', '@hourly', '2026-01-01T00:00:00Z', '2026-01-01T01:00:00.000Z'],
    ['@daily', '@daily', '2026-01-01T00:00:01Z', '2026-01-02T00:00:00.000Z'],
    ['@midnight', '@midnight', '2026-01-01T12:00:00Z', '2026-01-02T00:00:00.000Z'],
    ['@weekly runs on Sunday', '@weekly', '2026-01-01T00:00:00Z', '2026-01-04T00:00:00.000Z'],
    ['@monthly', '@monthly', '2026-01-15T00:00:00Z', '2026-02-01T00:00:00.000Z'],
    ['@yearly', '@yearly', '2026-03-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['@annually', '@annually', '2026-03-01T00:00:00Z', '2027-01-01T00:00:00.000Z'],
    ['@every adds its delay', '@every 1h30m', '2026-01-01T00:00:00.500Z', '2026-01-01T01:30:00.000Z'],
    ['the 29th of February', '0 0 29 2 *', '2026-01-01T00:00:00Z', '2028-02-29T00:00:00.000Z'],
    ['a time zone argument', '0 3 * * *', '2026-01-01T00:00:00Z', '2026-01-01T08:00:00.000Z', 'America/New_York'],
    ['a CRON_TZ prefix', 'CRON_TZ=Asia/Tokyo 0 9 * * *', '2026-01-01T00:00:00Z', '2026-01-02T00:00:00.000Z'],
    ['a TZ prefix wins over the argument', 'TZ=UTC 0 9 * * *', '2026-01-01T00:00:00Z', '2026-01-01T09:00:00.000Z', 'Asia/Tokyo'],
    ['skips a time that does not exist on a DST change', '30 2 * * *', '2026-03-08T00:00:00Z', '2026-03-09T06:30:00.000Z', 'America/New_York'],
    ['fires twice in a repeated hour, as robfig/cron does', '30 1 * * *', '2026-11-01T05:30:00Z', '2026-11-01T06:30:00.000Z', 'America/New_York'],
    ['fires at the first occurrence of a repeated time', '30 1 * * *', '2026-11-01T04:00:00Z', '2026-11-01T05:30:00.000Z', 'America/New_York'],
    ['finds an earlier time past a later wall clock in a repeated hour', '30,50 1 * * *', '2026-11-01T05:45:00Z', '2026-11-01T05:50:00.000Z', 'America/New_York'],
  ])('%s: %s after %s', (_, spec, after, next, tz) => {
    expect(iso(parseCron(spec).next(at(after), tz))).toBe(next);
  });

  it('gives up on schedules that never fire', () => {
    expect(parseCron('0 0 30 2 *').next(at('2026-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('walks a schedule forward deterministically', () => {
    const s = parseCron('*/20 * * * *');
    const times: string[] = [];
    let t = at('2026-01-01T00:00:00Z');
    for (let i = 0; i < 4; i++) times.push(iso((t = s.next(t)!))!);
    expect(times).toEqual(['2026-01-01T00:20:00.000Z', '2026-01-01T00:40:00.000Z', '2026-01-01T01:00:00.000Z', '2026-01-01T01:20:00.000Z']);
  });

  it('keeps the zone of a prefix', () => {
    expect(parseCron('CRON_TZ=Europe/Paris 0 0 * * *').timeZone).toBe('Europe/Paris');
  });

  it.each([
    ['too few fields', 'x', 'expected exactly 5 fields, found 1: [x]'],
    ['too many fields', '0 0 * * * *', 'expected exactly 5 fields, found 6: [0 0 * * * *]'],
    ['a minute above 59', '60 * * * *', 'end of range (60) above maximum (59): 60'],
    ['a range above the maximum', '0 0-24 * * *', 'end of range (24) above maximum (23): 0-24'],
    ['a day of month of 0', '0 0 0 * *', 'beginning of range (0) below minimum (1): 0'],
    ['a weekday of 7', '0 0 * * 7', 'end of range (7) above maximum (6): 7'],
    ['a reversed range', '0 0 * * 5-1', 'beginning of range (5) beyond end of range (1): 5-1'],
    ['a zero step', '*/0 * * * *', 'step of range should be a positive number: */0'],
    ['a word', 'five * * * *', 'failed to parse int from five: strconv.Atoi: parsing "five": invalid syntax'],
    ['too many hyphens', '1-2-3 * * * *', 'too many hyphens: 1-2-3'],
    ['too many slashes', '*/2/3 * * * *', 'too many slashes: */2/3'],
    ['an unknown descriptor', '@fortnightly', 'unrecognized descriptor: @fortnightly'],
    ['a bad zone', 'CRON_TZ=Mars/Olympus 0 0 * * *', 'provided bad location Mars/Olympus: unknown time zone Mars/Olympus'],
    ['an empty schedule', '  ', 'empty spec string'],
  ])('refuses %s', (_, spec, message) => {
    expect(() => parseCron(spec)).toThrow(message);
  });
});

describe('isValidTimeZone', () => {
  it.each([
    ['Europe/Paris', true],
    ['UTC', true],
    ['Asia/Shanghai', true],
    ['Mars/Olympus', false],
    ['', false],
  ])('%s → %s', (tz, ok) => {
    expect(isValidTimeZone(tz)).toBe(ok);
  });
});
