import { describe, expect, it } from 'vitest';
import {
  isoWeek,
  minusSpan,
  planPrune,
  type Candidate,
  type KeepPolicy,
} from '../../../src/retention/policy.js';

const at = (iso: string) => Date.parse(iso.endsWith('Z') ? iso : `${iso}Z`);
let n = 0;
const g = (iso: string, more: Partial<Candidate> = {}): Candidate => ({
  id: `ssg-${String(++n).padStart(4, '0')}`,
  name: 'db',
  createdMs: at(iso),
  inProgress: false,
  consistency: 'FsConsistent',
  tags: {},
  ...more,
});
/** The ids kept, newest first. */
const kept = (groups: Candidate[], p: KeepPolicy) =>
  planPrune(groups, p)
    .filter((d) => d.keep)
    .map((d) => new Date(d.group.createdMs).toISOString().slice(0, 16));

describe('planPrune: restic forget rules over snapshot groups (UTC)', () => {
  // Two a day for ten days around a month and a year boundary.
  const series = () => {
    const out: Candidate[] = [];
    for (let d = 0; d < 10; d++)
      for (const h of [3, 15])
        out.push(
          g(new Date(at('2026-12-27T00:00') + d * 86_400_000 + h * 3_600_000).toISOString()),
        );
    return out;
  };

  it('keep-last N: the N newest', () => {
    expect(kept(series(), { last: 3 })).toEqual([
      '2027-01-05T15:00',
      '2027-01-05T03:00',
      '2027-01-04T15:00',
    ]);
  });

  it('keep-daily N: the newest of each of the N newest days', () => {
    expect(kept(series(), { daily: 3 })).toEqual([
      '2027-01-05T15:00',
      '2027-01-04T15:00',
      '2027-01-03T15:00',
    ]);
  });

  it('keep-hourly N: one per hour that has a group', () => {
    expect(kept(series(), { hourly: 2 })).toEqual(['2027-01-05T15:00', '2027-01-05T03:00']);
  });

  it('keep-weekly N: ISO weeks (Monday to Sunday; 2026-12-28 starts week 53 of 2026)', () => {
    // 2027-01-04 is a Monday (week 1 of 2027); 2026-12-28 .. 2027-01-03 is week 53 of 2026.
    expect(kept(series(), { weekly: 3 })).toEqual([
      '2027-01-05T15:00',
      '2027-01-03T15:00',
      '2026-12-27T15:00',
    ]);
  });

  it('keep-monthly and keep-yearly across the year boundary', () => {
    expect(kept(series(), { monthly: 5 })).toEqual(['2027-01-05T15:00', '2026-12-31T15:00']);
    expect(kept(series(), { yearly: 1 })).toEqual(['2027-01-05T15:00']);
  });

  it('keep-within: every group within the span of the newest one, calendar months', () => {
    expect(kept(series(), { within: { years: 0, months: 0, days: 1, hours: 0 } })).toEqual([
      '2027-01-05T15:00',
      '2027-01-05T03:00',
      '2027-01-04T15:00',
    ]);
    // One calendar month before 31 March is 3 March (February has 28 days in 2027).
    expect(minusSpan(at('2027-03-31T12:00'), { years: 0, months: 1, days: 0, hours: 0 })).toBe(
      at('2027-03-03T12:00'),
    );
    // A year before 29 February 2028 is "29 February 2027", i.e. 1 March (as Go's AddDate,
    // which restic uses, normalises it); two hours before that.
    expect(minusSpan(at('2028-02-29T00:00'), { years: 1, months: 0, days: 0, hours: 2 })).toBe(
      at('2027-02-28T22:00'),
    );
  });

  it('keep-tag: every group with the tag, whatever its age', () => {
    const gs = series();
    const old = gs.at(0)!;
    const tagged = { ...old, tags: { keep: 'forever' } };
    gs[0] = tagged;
    expect(kept(gs, { last: 1, tags: [{ key: 'keep', value: 'forever' }] })).toEqual([
      '2027-01-05T15:00',
      '2026-12-27T03:00',
    ]);
    expect(planPrune(gs, { tags: [{ key: 'keep', value: 'other' }] }).some((d) => d.keep)).toBe(
      false,
    );
  });

  it('rules combine, and each kept group says every rule that kept it', () => {
    const d = planPrune(series(), { last: 1, daily: 2, yearly: 2 });
    expect(d[0]!.reasons).toEqual(['last', 'daily 2027-01-05', 'yearly 2027']);
    expect(d.filter((x) => x.keep).map((x) => x.reasons)).toEqual([
      ['last', 'daily 2027-01-05', 'yearly 2027'],
      ['daily 2027-01-04'],
      ['yearly 2026'],
    ]);
    expect(d.filter((x) => !x.keep).every((x) => x.reasons.length === 0)).toBe(true);
  });

  it('ties (the same second): the order is by id, and one of them takes the bucket', () => {
    const a = g('2027-01-01T10:00', { id: 'ssg-a' });
    const b = g('2027-01-01T10:00', { id: 'ssg-b' });
    // Whatever order they come in.
    for (const input of [
      [a, b],
      [b, a],
    ]) {
      const d = planPrune(input, { daily: 1 });
      expect(d.map((x) => [x.group.id, x.keep])).toEqual([
        ['ssg-b', true],
        ['ssg-a', false],
      ]);
    }
  });

  it('one group per hour, week, month: the newest in it; each reason names its rule and bucket', () => {
    const gs = [
      g('2027-01-04T10:50'), // Monday of ISO week 1 of 2027
      g('2027-01-04T10:05'),
      g('2027-01-04T09:30'),
      g('2026-12-31T09:00'), // week 53 of 2026, December
    ];
    const reasons = (p: KeepPolicy) =>
      planPrune(gs, p).map(
        (d) => `${new Date(d.group.createdMs).toISOString().slice(0, 16)} ${d.reasons.join(', ')}`,
      );
    expect(reasons({ hourly: 3 })).toEqual([
      '2027-01-04T10:50 hourly 2027-01-04T10',
      '2027-01-04T10:05 ',
      '2027-01-04T09:30 hourly 2027-01-04T09',
      '2026-12-31T09:00 hourly 2026-12-31T09',
    ]);
    expect(reasons({ weekly: 2, monthly: 2 })).toEqual([
      '2027-01-04T10:50 weekly 2027-W01, monthly 2027-01',
      '2027-01-04T10:05 ',
      '2027-01-04T09:30 ',
      '2026-12-31T09:00 weekly 2026-W53, monthly 2026-12',
    ]);
    expect(
      planPrune([g('2027-01-01T00:00', { tags: { keep: 'yes' } })], {
        tags: [{ key: 'keep', value: 'yes' }],
      })[0]!.reasons,
    ).toEqual(['tag keep=yes']);
  });

  it('names in order, whatever order their groups come in', () => {
    const d = planPrune(
      [g('2027-01-02T00:00', { name: 'web' }), g('2027-01-01T00:00', { name: 'db' })],
      {
        last: 1,
      },
    );
    expect(d.map((x) => x.group.name)).toEqual(['db', 'web']);
  });

  it('never removes a group in progress, nor the newest AppConsistent one of a name', () => {
    const gs = [
      g('2027-01-01T00:00', { consistency: 'AppConsistent' }),
      g('2027-01-02T00:00', { consistency: 'AppConsistent' }),
      g('2027-01-03T00:00'),
      g('2027-01-04T00:00', { inProgress: true, consistency: 'None' }),
    ];
    const d = planPrune(gs, { last: 1 });
    expect(d.map((x) => [new Date(x.group.createdMs).getUTCDate(), x.reasons])).toEqual([
      [4, ['in progress', 'last']],
      [3, []],
      [2, ['newest AppConsistent']],
      [1, []],
    ]);
  });

  it('a failed group takes no place a usable one should have; within or a tag still keep it', () => {
    const gs = [
      g('2027-01-01T00:00'),
      g('2027-01-02T00:00'),
      g('2027-01-02T12:00', { failed: true, consistency: 'None' }),
    ];
    expect(
      planPrune(gs, { last: 1, daily: 2 }).map((x) => [
        x.group.createdMs === at('2027-01-02T12:00'),
        x.reasons,
      ]),
    ).toEqual([
      [true, []],
      [false, ['last', 'daily 2027-01-02']],
      [false, ['daily 2027-01-01']],
    ]);
    const within = planPrune(gs, { within: { years: 0, months: 0, days: 1, hours: 0 } });
    expect(within[0]!.reasons).toEqual(['within']);
  });

  it('an expired group (-RetentionDays ran out) is removed whatever keeps it, unless in progress', () => {
    const now = at('2027-01-10T00:00');
    const gs = [
      g('2027-01-01T00:00', { consistency: 'AppConsistent', expiresMs: at('2027-01-08T00:00') }),
      g('2027-01-02T00:00', { expiresMs: at('2027-01-10T00:00') }),
      g('2027-01-03T00:00', { expiresMs: at('2027-01-10T00:01') }),
      g('2027-01-04T00:00', { inProgress: true, expiresMs: at('2027-01-05T00:00') }),
    ];
    const d = planPrune(gs, { last: 10, tags: [{ key: 'x', value: 'y' }] }, now);
    expect(d.map((x) => [new Date(x.group.createdMs).getUTCDate(), x.keep, x.reasons])).toEqual([
      [4, true, ['in progress', 'last']],
      [3, true, ['last']],
      [2, false, ['expired']],
      [1, false, ['expired']],
    ]);
  });

  it('each name on its own', () => {
    const gs = [
      g('2027-01-01T00:00'),
      g('2027-01-02T00:00'),
      g('2027-01-01T00:00', { name: 'web' }),
    ];
    expect(planPrune(gs, { last: 1 }).map((x) => [x.group.name, x.keep])).toEqual([
      ['db', true],
      ['db', false],
      ['web', true],
    ]);
  });

  it('refuses a policy that keeps nothing', () => {
    expect(() => planPrune(series(), {})).toThrow(/no keep rule/);
    expect(() => planPrune(series(), { last: 0, daily: 0 })).toThrow(/no keep rule/);
  });

  it('ISO weeks at year boundaries', () => {
    expect(isoWeek(at('2021-01-03T12:00'))).toEqual({ year: 2020, week: 53 });
    expect(isoWeek(at('2021-01-04T00:00'))).toEqual({ year: 2021, week: 1 });
    expect(isoWeek(at('2024-12-30T00:00'))).toEqual({ year: 2025, week: 1 });
    expect(isoWeek(at('2026-12-31T23:59'))).toEqual({ year: 2026, week: 53 });
    expect(isoWeek(at('2027-01-01T00:00'))).toEqual({ year: 2026, week: 53 });
  });
});

describe('400 days of hourly groups (a fake clock): exactly what the policy says', () => {
  const start = at('2026-01-01T00:30');
  const groups: Candidate[] = [];
  for (let h = 0; h < 400 * 24; h++)
    groups.push({
      id: `ssg-${h}`,
      name: 'nightly',
      createdMs: start + h * 3_600_000,
      inProgress: false,
      consistency: 'AppConsistent',
      tags: {},
    });
  const policy: KeepPolicy = { last: 5, hourly: 24, daily: 7, weekly: 4, monthly: 12, yearly: 3 };

  /** An independent statement of each bucket rule: the newest group of each of the N newest buckets. */
  function oracle(key: (ms: number) => string, count: number): Set<string> {
    const newestOf = new Map<string, Candidate>();
    for (const c of groups) {
      const k = key(c.createdMs);
      if (!newestOf.has(k) || newestOf.get(k)!.createdMs < c.createdMs) newestOf.set(k, c);
    }
    return new Set(
      [...newestOf.values()]
        .sort((a, b) => b.createdMs - a.createdMs)
        .slice(0, count)
        .map((c) => c.id),
    );
  }

  it('keeps the union of the rules, nothing else', () => {
    const iso = (ms: number) => new Date(ms).toISOString();
    const expected = new Set<string>([
      ...groups.slice(-5).map((c) => c.id),
      ...oracle((ms) => iso(ms).slice(0, 13), 24),
      ...oracle((ms) => iso(ms).slice(0, 10), 7),
      ...oracle((ms) => `${isoWeek(ms).year}-${isoWeek(ms).week}`, 4),
      ...oracle((ms) => iso(ms).slice(0, 7), 12),
      ...oracle((ms) => iso(ms).slice(0, 4), 3),
    ]);
    const decisions = planPrune(groups, policy);
    const keptIds = decisions.filter((d) => d.keep).map((d) => d.group.id);
    expect(new Set(keptIds)).toEqual(expected);
    // The newest is Friday 2027-02-05 23:30. 24 hourly: all of 5 February (the last 5 among
    // them); daily adds 4 February back to 30 January (6); weekly adds the Sundays 24 and 17
    // January (31 January is already a daily); monthly adds December 2026 back to March 2026
    // (10: January 2027 is already kept); yearly adds nothing (2026's newest is 31 December).
    expect(keptIds).toHaveLength(24 + 6 + 2 + 10);
    expect(decisions).toHaveLength(9600);
  });
});
