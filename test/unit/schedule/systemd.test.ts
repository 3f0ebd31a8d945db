import { describe, expect, it } from 'vitest';
import {
  calendarAnswer,
  realSystemd,
  timerState,
  utcStamp,
} from '../../../src/schedule/systemd.js';
import { systemRunner } from '../../../src/system/runner.js';
import { findTool } from '../../../src/system/tools.js';
import { describeSystemdContract } from '../../contract/systemd-contract.js';
import { FakeSystemd } from '../../support/fake-systemd.js';

function nextTwoAm(now = new Date()): string {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 2));
  if (d <= now) d.setUTCDate(d.getUTCDate() + 1);
  return d.toISOString().replace('.000Z', 'Z');
}

describeSystemdContract(
  'fake (test double)',
  () =>
    new FakeSystemd({
      '*-*-* 02:00:00': { normalized: '*-*-* 02:00:00', next: nextTwoAm() },
      '2001-01-01 00:00:00': { normalized: '2001-01-01 00:00:00' },
    }),
);

// systemd's own tool: present wherever systemd is (CI's host has it, though no systemd runs).
// The contract's "02:00" is local time for systemd: in UTC for this suite.
const hasAnalyze = findTool('systemd-analyze', process.env) !== undefined;
describe.skipIf(!hasAnalyze)('systemd-analyze', () => {
  process.env.TZ = 'UTC';
  describeSystemdContract('systemd-analyze calendar', () => realSystemd(systemRunner));
});

describe('calendarAnswer (systemd-analyze calendar, parsed)', () => {
  it('outside UTC the "(in UTC)" line is the next elapse', () => {
    const out = [
      '  Original form: 02:00',
      'Normalized form: *-*-* 02:00:00',
      '    Next elapse: Tue 2026-12-08 02:00:00 CST',
      '       (in UTC): Mon 2026-12-07 18:00:00 UTC',
      '       From now: 8h left',
    ].join('\n');
    expect(calendarAnswer(0, out, '')).toEqual({
      kind: 'valid',
      normalized: '*-*-* 02:00:00',
      next: '2026-12-07T18:00:00Z',
    });
  });
  it('in UTC the next elapse line is read; "never" is no next', () => {
    const at = (next: string) =>
      calendarAnswer(0, `Normalized form: daily\n    Next elapse: ${next}\n`, '');
    expect(at('Tue 2026-12-08 00:00:00 UTC')).toMatchObject({ next: '2026-12-08T00:00:00Z' });
    expect(at('never')).toMatchObject({ kind: 'valid', next: undefined });
  });
  it("systemd 219's systemd-analyze has no calendar verb: unknown, not invalid", () => {
    expect(calendarAnswer(1, '', 'Unknown operation calendar')).toEqual({ kind: 'unknown' });
    expect(
      calendarAnswer(1, '', "Failed to parse calendar specification 'x': Invalid argument"),
    ).toMatchObject({ kind: 'invalid', why: expect.stringContaining("'x'") });
  });
  it('utcStamp reads only UTC stamps', () => {
    expect(utcStamp('Mon 2026-12-07 18:00:00 UTC')).toBe('2026-12-07T18:00:00Z');
    expect(utcStamp('Tue 2026-12-08 02:00:00 CST')).toBeUndefined();
    expect(utcStamp('n/a')).toBeUndefined();
  });
});

describe('realSystemd where there is no systemd', () => {
  it('a machine without systemd-analyze: a clear error, not "invalid spec"', async () => {
    const runner = {
      run: async (file: string) => ({
        exitCode: -1,
        stdout: '',
        stderr: `spawn ${file} ENOENT`,
        timedOut: false,
      }),
      runScript: async () => {
        throw new Error('not used');
      },
      spawnHelper: () => {
        throw new Error('not used');
      },
    };
    await expect(realSystemd(runner).calendar('daily')).rejects.toThrow(/schedules need systemd/);
    expect(await realSystemd(runner).running()).toBe(false);
  });
});

describe('timerState (systemctl show of a timer, parsed)', () => {
  it('reads what systemd took and when it fires', () => {
    const out = [
      'ActiveState=active',
      'TimersCalendar={ OnCalendar=*-*-* 02:00:00 ; next_elapse=Tue 2026-12-08 02:00:00 UTC }',
      'NextElapseUSecRealtime=Tue 2026-12-08 02:04:31 UTC',
      'LastTriggerUSec=Mon 2026-12-07 02:03:12 UTC',
    ].join('\n');
    expect(timerState(out)).toEqual({
      active: true,
      calendars: ['*-*-* 02:00:00'],
      next: '2026-12-08T02:04:31Z',
      last: '2026-12-07T02:03:12Z',
    });
  });
  it('a timer systemd refused every spec of: no calendars; never fired: no last', () => {
    expect(timerState('ActiveState=inactive\nTimersCalendar=\nLastTriggerUSec=n/a\n')).toEqual({
      active: false,
      calendars: [],
      next: undefined,
      last: undefined,
    });
  });
});
