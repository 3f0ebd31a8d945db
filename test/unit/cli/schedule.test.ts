import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readConfig } from '../../../src/cli/config.js';
import { scheduleCommand, type ScheduleArgs } from '../../../src/cli/commands/schedule.js';
import { statusCommand } from '../../../src/cli/commands/status.js';
import { appendRun, type RunRecord } from '../../../src/history/index.js';
import { extractParams } from '../../../src/params/index.js';
import type { ScheduleDeps } from '../../../src/schedule/index.js';
import { FakeSystemd } from '../../support/fake-systemd.js';
import { tmp } from '../../support/tmp.js';

function setup() {
  const root = tmp();
  const config = readConfig({
    APP_SNAPSHOT_SCHEDULES_DIR: join(root, 'schedules'),
    APP_SNAPSHOT_SYSTEMD_DIR: join(root, 'systemd'),
    APP_SNAPSHOT_DATA_DIR: join(root, 'data'),
    APP_SNAPSHOT_METRICS_DIR: join(root, 'none'),
  });
  const systemd = new FakeSystemd({
    daily: { normalized: '*-*-* 00:00:00', next: '2026-12-08T00:00:00Z' },
  });
  const deps: ScheduleDeps = {
    paths: { ...config.schedules, packageUnitDirs: [] },
    systemd,
    agentCommand: '/usr/bin/app-snapshot-plugin',
  };
  const out: string[] = [];
  const err: string[] = [];
  const io = {
    out: (s: string) => void out.push(s),
    err: (s: string) => void err.push(s),
    readStdin: async () => '',
  };
  const schedule = (a: Omit<ScheduleArgs, 'json'> & { json?: boolean }, words: string[] = []) =>
    scheduleCommand(
      { json: false, ...a },
      { io, config, hooks: {}, raw: extractParams(words).params },
      deps,
    );
  return { root, config, systemd, deps, out, err, io, schedule };
}

describe('schedule (command)', () => {
  it('add keeps the parameters in their canonical spelling, whatever spelling was typed', async () => {
    const s = setup();
    expect(
      await s.schedule({ action: 'add', name: 'n1', onCalendar: 'daily', randomizedDelay: '2m' }, [
        '--name',
        'db',
        '-keepdaily=7',
        '--params=-KeepLast=2',
      ]),
    ).toBe(0);
    expect(s.out.join('')).toBe('schedule n1 added: daily, next 2026-12-08T00:00:00Z\n');
    const conf = readFileSync(join(s.root, 'schedules/n1.conf'), 'utf8');
    expect(conf.split('\n').filter((l) => l.startsWith('-'))).toEqual([
      '-Name=db',
      '-KeepDaily=7',
      '-KeepLast=2',
    ]);
    expect(conf).toContain('randomized-delay-sec=120\n');
  });

  it.each([
    [{ action: 'add', name: 'n1' }, ['-Name=db'], /needs --on-calendar/],
    [{ action: 'add', onCalendar: 'daily' }, ['-Name=db'], /needs a name/],
    [
      { action: 'add', name: 'n1', onCalendar: 'daily', randomizedDelay: 'soon' },
      ['-Name=db'],
      /--randomized-delay "soon"/,
    ],
    [
      { action: 'remove', name: 'n1' },
      ['-Name=db'],
      /schedule remove takes no run parameters \(-Name=db\)/,
    ],
    [{ action: 'run', name: 'nope' }, [], /no schedule nope/],
  ] as const)('%j %j: exit 2, one line', async (a, words, why) => {
    const s = setup();
    expect(await s.schedule(a, [...words])).toBe(2);
    expect(s.err).toHaveLength(1);
    expect(s.err[0]).toMatch(why);
  });

  it('run of a schedule whose file is gone is a failed run in the history (exit 2)', async () => {
    const s = setup();
    expect(await s.schedule({ action: 'run', name: 'gone' })).toBe(2);
    await statusCommand({ runs: 5, json: true }, s, s.systemd);
    const status = JSON.parse(s.out.join('')) as { Runs: RunRecord[] };
    expect(status.Runs).toEqual([
      expect.objectContaining({
        Name: '-',
        Schedule: 'gone',
        ExitCode: 2,
        Error: expect.stringContaining('no schedule gone'),
      }),
    ]);
  });

  it('list and status show each schedule with its next firing and its last run', async () => {
    const s = setup();
    await s.schedule({ action: 'add', name: 'n1', onCalendar: 'daily' }, ['-Name=db']);
    await s.schedule({ action: 'add', name: 'n2', onCalendar: 'daily' }, ['-Name=web']);
    const run = (over: Partial<RunRecord>): RunRecord => ({
      Time: '2026-12-07T00:00:03.000Z',
      Name: 'db',
      ExitCode: 0,
      Consistency: 'AppConsistent',
      Snapshots: 2,
      DurationMs: 3000,
      ...over,
    });
    await appendRun(
      s.config.history.dataDir,
      run({ Schedule: 'n1', FreezeWindowMs: 12.5, SnapshotGroupId: 'ssg-a' }),
    );
    await appendRun(
      s.config.history.dataDir,
      run({ Time: '2026-12-07T01:00:00.000Z', Name: 'adhoc', ExitCode: 16, Consistency: 'None' }),
    );
    s.out.length = 0;
    expect(await statusCommand({ runs: 20, json: true }, s, s.systemd)).toBe(0);
    const status = JSON.parse(s.out.join('')) as {
      Schedules: Record<string, unknown>[];
      Runs: RunRecord[];
    };
    expect(status.Schedules).toEqual([
      expect.objectContaining({
        Name: 'n1',
        RunName: 'db',
        OnCalendar: 'daily',
        Active: true,
        LastRun: expect.objectContaining({ SnapshotGroupId: 'ssg-a' }),
      }),
      expect.objectContaining({ Name: 'n2', RunName: 'web', Active: true }),
    ]);
    expect(status.Schedules[1]).not.toHaveProperty('LastRun');
    expect(status.Runs.map((r) => r.Name)).toEqual(['adhoc', 'db']);
    s.out.length = 0;
    await statusCommand({ runs: 1, json: false }, s, s.systemd);
    const text = s.out.join('');
    expect(text).toContain('n1  daily  -Name=db\n');
    expect(text).toContain('last 2026-12-07T00:00:03.000Z  exit 0 Success AppConsistent');
    expect(text).toContain('n2  daily  -Name=web\n    next 2026-12-08T00:00:00Z; last no run yet');
    expect(text).toMatch(
      /2026-12-07 01:00:00Z\s+adhoc\s+-\s+16 SnapshotInProgress\s+None\s+-\s+-\n$/,
    );
    expect(text).not.toContain('ssg-a'); // --runs 1: only the newest
  });
});
