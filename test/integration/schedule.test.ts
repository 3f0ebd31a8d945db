// A schedule's run on a real lab with the built agent, as its timer starts it (`schedule run`):
// recorded in the history as the schedule's, shown by `status`, and written as metrics that
// Prometheus's own checker accepts. Failed runs are recorded too. The timer itself firing is
// the guest VM suite's (systemd runs there, not on this host).
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METRICS_FILE } from '../../src/history/index.js';
import { processStartTime } from '../../src/system/process.js';
import { requireRoot, runCli, TestLab, withJson } from '../support/lab.js';

describe.skipIf(!requireRoot())('a scheduled run, its history, its metrics', () => {
  let lab: TestLab;
  let dir: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    lab = await new TestLab().up(2);
    dir = mkdtempSync(join(tmpdir(), 'asp-sched-'));
    mkdirSync(join(dir, 'textfile'));
    env = {
      ...lab.env,
      APP_SNAPSHOT_DATA_DIR: join(dir, 'data'),
      APP_SNAPSHOT_METRICS_DIR: join(dir, 'textfile'),
      APP_SNAPSHOT_SCHEDULES_DIR: join(dir, 'schedules'),
    };
    // As `schedule add` writes it (unit-tested there); adding needs systemd, which runs in the guests.
    mkdirSync(join(dir, 'schedules'), { mode: 0o700 });
    writeFileSync(
      join(dir, 'schedules/nightly.conf'),
      `on-calendar=daily\nrandomized-delay-sec=0\n-Name=db-nightly\n-Pool=${lab.pool}\n-Engine=local\n`,
      { mode: 0o600 },
    );
  });
  afterAll(async () => {
    await lab?.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const status = async () => {
    const r = withJson(await runCli(['status', '--output=json'], { env }));
    expect(r.code).toBe(0);
    return r.json as { Schedules: any[]; Runs: any[] };
  };
  const metrics = () => readFileSync(join(dir, 'textfile', METRICS_FILE), 'utf8');
  const sample = (text: string, series: string) =>
    Number(new RegExp(`^${series.replace(/[{}"=,]/g, '\\$&')} (\\S+)$`, 'm').exec(text)?.[1]);

  it('schedule run: the snapshot, recorded as the schedule’s; status shows it; promtool accepts the metrics', async () => {
    const r = withJson(await runCli(['schedule', 'run', 'nightly', '--output=json'], { env }));
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ ExitCode: 0, Consistency: 'FsConsistent' });
    const s = await status();
    expect(s.Runs[0]).toMatchObject({
      Name: 'db-nightly',
      Schedule: 'nightly',
      ExitCode: 0,
      Consistency: 'FsConsistent',
      SnapshotGroupId: r.json.SnapshotGroupId,
      Snapshots: 2,
    });
    expect(s.Runs[0].FreezeWindowMs).toBeGreaterThan(0);
    expect(s.Schedules).toEqual([
      expect.objectContaining({
        Name: 'nightly',
        RunName: 'db-nightly',
        OnCalendar: 'daily',
        LastRun: s.Runs[0],
      }),
    ]);
    const text = metrics();
    const check = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(check.error).toBeUndefined();
    expect(`${check.stdout}${check.stderr}`).toBe('');
    expect(check.status).toBe(0);
    expect(sample(text, 'app_snapshot_last_exit_code{name="db-nightly"}')).toBe(0);
    expect(sample(text, 'app_snapshot_last_snapshots{name="db-nightly"}')).toBe(2);
    expect(
      sample(text, 'app_snapshot_last_consistency{name="db-nightly",consistency="FsConsistent"}'),
    ).toBe(1);
    expect(sample(text, 'app_snapshot_last_freeze_window_seconds{name="db-nightly"}')).toBeCloseTo(
      s.Runs[0].FreezeWindowMs / 1000,
    );
    expect(sample(text, 'app_snapshot_last_success_timestamp_seconds{name="db-nightly"}')).toBe(
      Date.parse(s.Runs[0].Time) / 1000,
    );
  });

  it('a run that finds another in progress: exit 16, recorded; the last success stays in the metrics', async () => {
    const before = await status();
    // A live run's lock (this test process is alive): what a second timer firing meets.
    const lock = join(lab.stateDir, 'lock');
    writeFileSync(lock, `${process.pid} ${processStartTime(process.pid)}\n`);
    try {
      const r = await runCli(['schedule', 'run', 'nightly'], { env });
      expect(r.code).toBe(16);
    } finally {
      rmSync(lock, { force: true });
    }
    const s = await status();
    expect(s.Runs[0]).toMatchObject({
      Name: 'db-nightly',
      Schedule: 'nightly',
      ExitCode: 16,
      Snapshots: 0,
    });
    expect(s.Runs.slice(1)).toEqual(before.Runs);
    const text = metrics();
    expect(sample(text, 'app_snapshot_last_exit_code{name="db-nightly"}')).toBe(16);
    expect(sample(text, 'app_snapshot_last_success_timestamp_seconds{name="db-nightly"}')).toBe(
      Date.parse(before.Runs[0].Time) / 1000,
    );
    expect(
      sample(text, 'app_snapshot_last_consistency{name="db-nightly",consistency="None"}'),
    ).toBe(1);
  });

  it('a run that cannot start (bad parameters, by hand) is recorded under its -Name: exit 2', async () => {
    const r = await runCli([`-Pool=${lab.pool}`, '-Engine=local', '-Name=adhoc', '-KeepDaily=-1'], {
      env,
    });
    expect(r.code).toBe(2);
    const s = await status();
    expect(s.Runs[0]).toMatchObject({
      Name: 'adhoc',
      ExitCode: 2,
      Error: expect.stringMatching(/KeepDaily/),
    });
    expect(s.Runs[0]).not.toHaveProperty('Schedule');
    expect(sample(metrics(), 'app_snapshot_last_exit_code{name="adhoc"}')).toBe(2);
  });
});
