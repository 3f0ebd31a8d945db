import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appendRun,
  historyFile,
  HISTORY_RUNS,
  readRuns,
  recordOf,
  type RunRecord,
} from '../../../src/history/index.js';
import { emptyResult } from '../../../src/plugin/result.js';
import { tmp } from '../../support/tmp.js';

const run = (i: number, over: Partial<RunRecord> = {}): RunRecord => ({
  Time: new Date(Date.UTC(2026, 0, 1) + i * 3600_000).toISOString(),
  Name: 'nightly',
  ExitCode: 0,
  Consistency: 'AppConsistent',
  Snapshots: 2,
  DurationMs: 1000 + i,
  ...over,
});

describe('recordOf', () => {
  it('takes what status and the metrics need from the result, no more', () => {
    const r = emptyResult();
    r.ExitCode = 9;
    r.Consistency = 'None';
    r.SnapshotGroupId = 'ssg-1';
    r.Snapshots = [{ SnapshotId: 's-1', DiskId: 'd-1', Tags: {} }];
    r.Timings = { freezeWindow: 12.345, total: 3456.78 };
    r.Apps = [
      { Name: 'a', Type: 'mysql', Mode: 'm', HeldMs: 40.04, Held: true, Facts: {} },
      { Name: 'b', Type: 'mysql', Mode: 'm', HeldMs: 55.55, Held: true, Facts: {} },
    ];
    r.Error = 'pre-script failed';
    const at = new Date('2026-12-07T02:00:01.500Z');
    expect(recordOf(r, { name: 'nightly', schedule: 'n1', endedAt: at })).toEqual({
      Time: '2026-12-07T02:00:01.500Z',
      Name: 'nightly',
      Schedule: 'n1',
      ExitCode: 9,
      Consistency: 'None',
      SnapshotGroupId: 'ssg-1',
      Snapshots: 1,
      FreezeWindowMs: 12.3,
      LockHeldMs: 55.6,
      DurationMs: 3456.8,
      Error: 'pre-script failed',
    });
  });
  it('nothing frozen, no quiescer, no name: those fields are absent, the name is "-"', () => {
    const rec = recordOf(emptyResult(), { name: '', endedAt: new Date(0) });
    expect(rec).not.toHaveProperty('FreezeWindowMs');
    expect(rec).not.toHaveProperty('LockHeldMs');
    expect(rec).not.toHaveProperty('Schedule');
    expect(rec.Name).toBe('-');
  });
});

describe('the history file', () => {
  it('keeps at least the last `keep` runs, oldest first, and never more than twice that', async () => {
    const dir = tmp();
    const keep = 10;
    const lines = (f: string) =>
      existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).length : 0;
    const file = historyFile(dir);
    for (let i = 0; i < 3 * keep + 4; i++) {
      await appendRun(dir, run(i), keep);
      const runs = readRuns(dir, keep);
      expect(runs).toHaveLength(Math.min(i + 1, keep));
      expect(runs.at(-1)).toEqual(run(i));
      expect(runs[0]).toEqual(run(Math.max(0, i + 1 - keep)));
      expect(lines(file) + lines(`${file}.1`)).toBeLessThanOrEqual(2 * keep + 1);
    }
    expect(HISTORY_RUNS).toBe(200);
  });

  it('runs appending at the same moment: every one is there, no line torn', async () => {
    const dir = tmp();
    await Promise.all(
      Array.from({ length: 24 }, (_, i) => appendRun(dir, run(i, { Name: `n${i}` }))),
    );
    expect(
      readRuns(dir)
        .map((r) => r.Name)
        .sort(),
    ).toEqual(Array.from({ length: 24 }, (_, i) => `n${i}`).sort());
  });

  it('lines that are not records (torn by a crash, edited by hand) are skipped, not fatal', async () => {
    const dir = tmp();
    await appendRun(dir, run(1));
    appendFileSync(
      historyFile(dir),
      '{"Time":"2026-01-01T00:00:00Z","Name":"x"\nnot json\n{"Time":"yesterday"}\n',
    );
    await appendRun(dir, run(2));
    expect(readRuns(dir)).toEqual([run(1), run(2)]);
  });

  it('no history yet: no runs; a directory it cannot write: the reason', async () => {
    const dir = tmp();
    expect(readRuns(dir)).toEqual([]);
    writeFileSync(join(dir, 'file'), '');
    await expect(appendRun(join(dir, 'file'), run(0))).rejects.toThrow(
      /could not add the run to .*file\/history.jsonl/,
    );
  });
});
