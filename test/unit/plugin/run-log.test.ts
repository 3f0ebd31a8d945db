// What a run says and records besides its exit code: the vendor log's announcement of what it
// will claim, the warnings, the timings, the summary lines, what the scripts are given.
import { describe, expect, it } from 'vitest';
import { runSnapshot } from '../../../src/plugin/run.js';
import { FakeQuiescer, harness, params } from '../../support/fakes.js';

const SCRIPTS = ['-PreScriptPath=/tmp/prescript.sh', '-PostScriptPath=/tmp/postscript.sh'];
const log = (h: { out: string[] }) => h.out.join('\n');

describe('runSnapshot: what it announces', () => {
  it.each([
    [[], 'FsConsistent Snapshots (no application script)'],
    [['-EnableFsFreeze=false'], 'Crash-consistent Snapshots (no application script)'],
    [SCRIPTS, 'AppConsistent Snapshots with Pre/Post-Script Enabled'],
  ])('%j: %s', async (words, line) => {
    const h = harness();
    await runSnapshot(h.deps, params(...words));
    expect(log(h)).toContain(line);
  });

  it('built-in quiescers are named', async () => {
    const h = harness({ apps: (f) => [new FakeQuiescer('db1', f), new FakeQuiescer('db2', f)] });
    await runSnapshot(h.deps, params());
    expect(log(h)).toContain('AppConsistent Snapshots with built-in quiescers: db1, db2');
  });

  it('an AppConsistent run has nothing to warn about; a lesser one says why it is lesser', async () => {
    const app = harness();
    const r = await runSnapshot(app.deps, params(...SCRIPTS));
    expect(r.Warnings).toEqual([]);
    const fs = harness();
    expect((await runSnapshot(fs.deps, params())).Warnings).toEqual(['no PreScriptPath given']);
  });

  it('leftovers of a dead run and skipped disks are warnings', async () => {
    const h = harness();
    const deps = { ...h.deps, recoverLeftoverFreeze: () => ['/data'] };
    const r = await runSnapshot(deps, params(...SCRIPTS, '-ExcludeDiskId=d-2'));
    expect(r.Warnings).toEqual([
      'thawed /data, left frozen by an earlier run that died',
      'disk d-2 skipped: excluded by ExcludeDiskId',
    ]);
    expect(log(h)).toContain('thawed /data, left frozen by an earlier run that died');
  });
});

describe('runSnapshot: timings and the scripts’ budget', () => {
  it('each phase and the total are measured, the total spans them', async () => {
    const h = harness();
    const before = performance.now();
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    const wall = performance.now() - before;
    const t = r.Timings;
    expect(t.total).toBeGreaterThan(0);
    expect(t.total).toBeLessThanOrEqual(wall);
    for (const phase of [
      'validate',
      'preScript',
      'freeze',
      'snapshot',
      'thaw',
      'postScript',
    ] as const) {
      expect(t[phase], phase).toBeGreaterThanOrEqual(0);
      expect(t[phase]!, phase).toBeLessThanOrEqual(t.total!);
    }
  });

  it('both scripts get ScriptTimeoutInSeconds; only the pre-script can be interrupted', async () => {
    const h = harness();
    await runSnapshot(h.deps, params(...SCRIPTS, '-ScriptTimeoutInSeconds=7'));
    expect(h.scripts.calls).toEqual([
      { role: 'pre', timeoutMs: 7000, abortable: true },
      { role: 'post', timeoutMs: 7000, abortable: false },
    ]);
  });

  it('interrupted before the pre-script: neither script runs (they run in pairs)', async () => {
    const c = new AbortController();
    c.abort('SIGTERM');
    const h = harness({ interrupt: c.signal });
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(255);
    expect(h.scripts.ran).toEqual(['cleanup']);
    expect(r.Scripts).toEqual([]);
  });
});

describe('runSnapshot: the closing lines', () => {
  it('success: the costs, then the group id last', async () => {
    const h = harness();
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    const lines = h.out.join('').trim().split('\n');
    expect(lines.some((l) => /Prescript cost=[\d.]+(µs|ms|s), Postscript cost=/.test(l))).toBe(
      true,
    );
    expect(
      lines.some((l) =>
        /Prepare Freeze=.*, Thaw cost=.*, Snapshot Creation=.*, Tag Resources=/.test(l),
      ),
    ).toBe(true);
    expect(lines.at(-1)).toContain('Finish whole Processes of Snapshot successfully');
    expect(lines.at(-1)).toContain(`[snapshotgroup="${r.SnapshotGroupId}"]`);
  });

  it('failure with a group: the error and the group in the last line; further errors as "also"', async () => {
    const h = harness({ scripts: { outcome: { post: { exitCode: 3 } } } });
    h.freezer.lateThaw = true;
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(11);
    const lines = h.out.join('').trim().split('\n');
    expect(lines.at(-1)).toContain(
      `Failed with exit code 11: ${r.Error} (snapshot group ${r.SnapshotGroupId} was created)`,
    );
    expect(lines.at(-1)).toContain(`[snapshotgroup="${r.SnapshotGroupId}"]`);
    expect(log(h)).toMatch(/also: .*postscript.sh exited with 3/);
  });

  it('failure without a group: no group named', async () => {
    const h = harness();
    h.freezer.failFreeze = true;
    await runSnapshot(h.deps, params());
    const last = h.out.join('').trim().split('\n').at(-1)!;
    expect(last).toMatch(/\[message="Failed with exit code 11: freezing \/logs failed: [^"]*"\]$/);
    expect(last).not.toContain('snapshot group');
    expect(last).not.toContain('snapshotgroup=');
  });
});

describe('runSnapshot: the lines fleet and operators read', () => {
  /** A Go duration as the log prints it, in ms. */
  const ms = (d: string) => {
    const m = /^([\d.]+)(ns|µs|ms|s)$/.exec(d)!;
    return Number(m[1]) * { ns: 1e-6, µs: 1e-3, ms: 1, s: 1000 }[m[2] as 'ms'];
  };

  it('the tag lines name the claim', async () => {
    const h = harness();
    await runSnapshot(h.deps, params());
    expect(log(h)).toContain('Tag snapshots with FsConsistent');
    expect(log(h)).toContain('Take FsConsistent snapshots successfully');
  });

  it('"Snapshot Creation" is the call plus the wait', async () => {
    const h = harness();
    h.engine.createDelayMs = 200;
    const r = await runSnapshot(h.deps, params());
    const m = /Snapshot Creation=([^,]+),/.exec(log(h))!;
    const sum = (r.Timings.snapshot ?? 0) + (r.Timings.wait ?? 0);
    expect(ms(m[1]!)).toBeCloseTo(sum, 3);
    expect(ms(m[1]!)).toBeGreaterThan(r.Timings.snapshot!);
  });

  it('one failure: no "also" line; an unexpected error comes with its stack, to report', async () => {
    const h = harness();
    h.engine.createGroup = async () => {
      throw new TypeError('undefined is not a function');
    };
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(255);
    expect(log(h)).not.toContain('also:');
    expect(log(h)).toMatch(/unexpected error, please report it with this log:\n\s+at /);
    const known = harness();
    known.freezer.failFreeze = true;
    await runSnapshot(known.deps, params());
    expect(log(known)).not.toContain('please report it');
  });

  it('built-in quiescers: connected, quiesced with their facts, released; how long each held', async () => {
    const h = harness({ apps: (f) => [new FakeQuiescer('db1', f)] });
    const before = performance.now();
    const r = await runSnapshot(h.deps, params());
    const wall = performance.now() - before;
    expect(log(h)).toContain('Connect to mysql app db1');
    expect(log(h)).toMatch(
      /App db1 quiesced: [^;]+; LockTime=2026-11-24 00:00:00.000001, Gtid=0-1-7/,
    );
    expect(log(h)).toContain('App db1 released');
    expect(r.Apps).toHaveLength(1);
    expect(r.Apps[0]!.HeldMs).toBeGreaterThan(0);
    expect(r.Apps[0]!.HeldMs).toBeLessThanOrEqual(wall);
    expect(r.Timings.quiesce).toBeDefined();
  });

  it('no quiescer: no quiesce or release phase at all', async () => {
    const h = harness();
    const r = await runSnapshot(h.deps, params());
    expect(r.Timings.quiesce).toBeUndefined();
    expect(r.Timings.release).toBeUndefined();
    expect(r.Apps).toEqual([]);
  });
});
