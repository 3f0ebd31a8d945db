// The emulator's Cloud Assistant schedules (RepeatMode=Period): Frequency as the ECS SDK's
// RunCommandRequest documents it.
import { describe, expect, it } from 'vitest';
import { nextFiring, parseFrequency } from '../../../tools/emulator/frequency.js';

const T = (iso: string) => Date.parse(iso);
const next = (freq: string, after: string, created = after) =>
  new Date(nextFiring(parseFrequency(freq, 60, T(after)), T(after), T(created))!).toISOString();

describe('Frequency', () => {
  it('rate: one interval after creation, then every interval, whenever asked', () => {
    expect(next('rate(1h)', '2026-12-07T09:00:00Z')).toBe('2026-12-07T10:00:00.000Z');
    expect(next('rate(1h)', '2026-12-07T10:00:00Z', '2026-12-07T09:00:00Z')).toBe(
      '2026-12-07T11:00:00.000Z',
    );
    expect(next('rate(2d)', '2026-12-07T09:30:00Z', '2026-12-07T09:00:00Z')).toBe(
      '2026-12-09T09:00:00.000Z',
    );
  });
  it('at: once, in its zone; never again after it', () => {
    expect(next('at(2026-12-08 02:00:00 Asia/Shanghai)', '2026-12-07T00:00:00Z')).toBe(
      '2026-12-07T18:00:00.000Z',
    );
    expect(next('at(2026-12-08 02:00:00)', '2026-12-07T00:00:00Z')).toBe(
      '2026-12-08T02:00:00.000Z',
    );
    const f = parseFrequency('at(2026-12-08 02:00:00 GMT-7:00)', 60);
    expect(nextFiring(f, T('2026-12-08T09:00:00Z'), 0)).toBeUndefined();
  });
  it('cron: seconds first, the zone last, Quartz day fields', () => {
    expect(next('0 0 2 * * ? Asia/Shanghai', '2026-12-07T09:00:00Z')).toBe(
      '2026-12-07T18:00:00.000Z',
    );
    expect(next('0 0/30 10-11 * * ? 2027 GMT+8:00', '2026-12-07T09:00:00Z')).toBe(
      '2027-01-01T02:00:00.000Z',
    );
    expect(next('0 0/30 10-11 * * ? 2027 GMT+8:00', '2027-01-01T03:00:00Z')).toBe(
      '2027-01-01T03:30:00.000Z',
    );
    // 2026-12-07 is a Monday: strictly after its 10:15:30 is the next Monday's.
    expect(next('30 15 10 ? * MON UTC', '2026-12-07T10:15:30Z')).toBe('2026-12-14T10:15:30.000Z');
    expect(next('30 15 10 ? * MON UTC', '2026-12-07T10:15:29Z')).toBe('2026-12-07T10:15:30.000Z');
    expect(next('0 0 12 15 * ?', '2026-12-15T12:00:00Z')).toBe('2027-01-15T12:00:00.000Z');
  });
  it.each([
    ['rate(30s)', /60 seconds to 7 days/],
    ['rate(8d)', /60 seconds to 7 days/],
    ['rate(1m)', /longer than the Timeout/],
    ['0 0 2 * *', /6 or 7 fields/],
    ['0 0 25 * * ?', /field 3/],
    ['0 0 2 ? * ?', /cannot both be/],
    ['0 0 2 * * ? Mars/Olympus', /unknown time zone/],
    ['every night', /not rate/],
  ])('%s is refused', (freq, why) => expect(() => parseFrequency(freq, 60)).toThrow(why));
});
