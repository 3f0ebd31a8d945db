import { mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  METRICS_FILE,
  renderMetrics,
  writeMetrics,
  type RunRecord,
} from '../../../src/history/index.js';
import { tmp } from '../../support/tmp.js';

const at = (h: number) => new Date(Date.UTC(2026, 11, 7, h)).toISOString();
const rec = (over: Partial<RunRecord>): RunRecord => ({
  Time: at(0),
  Name: 'db',
  ExitCode: 0,
  Consistency: 'AppConsistent',
  Snapshots: 2,
  DurationMs: 2500,
  ...over,
});

/** The samples of one metric, label set to value. */
function samples(text: string, metric: string): Record<string, number> {
  return Object.fromEntries(
    text
      .split('\n')
      .filter((l) => l.startsWith(`${metric}{`))
      .map((l) => {
        const m = /^\S+?\{(.*)\} (\S+)$/.exec(l)!;
        return [m[1]!, Number(m[2])];
      }),
  );
}

describe('renderMetrics', () => {
  const runs = [
    rec({ Time: at(1), FreezeWindowMs: 20, LockHeldMs: 35 }),
    rec({ Time: at(2), Name: 'web', Consistency: 'FsConsistent', FreezeWindowMs: 9 }),
    rec({ Time: at(3), ExitCode: 9, Consistency: 'None', Snapshots: 0, DurationMs: 800 }),
  ];
  const text = renderMetrics(runs);

  it('the last run of every -Name: its time, exit code, duration and snapshot count', () => {
    expect(samples(text, 'app_snapshot_last_run_timestamp_seconds')).toEqual({
      'name="db"': Date.parse(at(3)) / 1000,
      'name="web"': Date.parse(at(2)) / 1000,
    });
    expect(samples(text, 'app_snapshot_last_exit_code')).toEqual({
      'name="db"': 9,
      'name="web"': 0,
    });
    expect(samples(text, 'app_snapshot_last_duration_seconds')).toEqual({
      'name="db"': 0.8,
      'name="web"': 2.5,
    });
    expect(samples(text, 'app_snapshot_last_snapshots')).toEqual({
      'name="db"': 0,
      'name="web"': 2,
    });
  });

  it('the last success survives a failed run after it', () => {
    expect(samples(text, 'app_snapshot_last_success_timestamp_seconds')).toEqual({
      'name="db"': Date.parse(at(1)) / 1000,
      'name="web"': Date.parse(at(2)) / 1000,
    });
  });

  it('consistency as a state set: 1 for the level reached, 0 for the other two', () => {
    expect(samples(text, 'app_snapshot_last_consistency')).toEqual({
      'name="db",consistency="AppConsistent"': 0,
      'name="db",consistency="FsConsistent"': 0,
      'name="db",consistency="None"': 1,
      'name="web",consistency="AppConsistent"': 0,
      'name="web",consistency="FsConsistent"': 1,
      'name="web",consistency="None"': 0,
    });
  });

  it("window and lock are the last run's: absent when it froze nothing or locked nothing", () => {
    expect(samples(text, 'app_snapshot_last_freeze_window_seconds')).toEqual({
      'name="web"': 0.009,
    });
    expect(text).not.toContain('app_snapshot_last_database_lock_seconds');
    const locked = renderMetrics([rec({ LockHeldMs: 35, FreezeWindowMs: 0 })]);
    expect(samples(locked, 'app_snapshot_last_database_lock_seconds')).toEqual({
      'name="db"': 0.035,
    });
    expect(samples(locked, 'app_snapshot_last_freeze_window_seconds')).toEqual({ 'name="db"': 0 });
  });

  it('every family has HELP and TYPE gauge once; a name with quotes is escaped', () => {
    const t = renderMetrics([rec({ Name: 'a"b\\c\nd' })]);
    expect(t).toContain('app_snapshot_last_exit_code{name="a\\"b\\\\c\\nd"} 0');
    for (const family of new Set(
      t
        .split('\n')
        .filter((l) => l && !l.startsWith('#'))
        .map((l) => l.split('{')[0]),
    )) {
      expect(t.split(`# TYPE ${family} gauge\n`)).toHaveLength(2);
      expect(t).toContain(`# HELP ${family} `);
    }
    expect(renderMetrics([])).toBe('');
  });
});

describe('writeMetrics', () => {
  it('writes the file whole, readable by node_exporter (0644)', async () => {
    const dir = tmp();
    expect(await writeMetrics(dir, [rec({})])).toBe('written');
    expect(readFileSync(join(dir, METRICS_FILE), 'utf8')).toBe(renderMetrics([rec({})]));
    expect(statSync(join(dir, METRICS_FILE)).mode & 0o777).toBe(0o644);
  });
  it('no textfile directory, no node_exporter: nothing written, nothing created', async () => {
    const dir = join(tmp(), 'textfile_collector');
    expect(await writeMetrics(dir, [rec({})])).toBe('no-directory');
    mkdirSync(dir);
    expect(await writeMetrics(dir, [rec({})])).toBe('written');
  });
});

describe('renderMetrics numbers', () => {
  it('milliseconds become seconds without binary noise', () => {
    const t = renderMetrics([rec({ FreezeWindowMs: 260.3, LockHeldMs: 452, DurationMs: 2824.9 })]);
    expect(t).toContain('app_snapshot_last_freeze_window_seconds{name="db"} 0.2603\n');
    expect(t).toContain('app_snapshot_last_database_lock_seconds{name="db"} 0.452\n');
    expect(t).toContain('app_snapshot_last_duration_seconds{name="db"} 2.8249\n');
  });
});
