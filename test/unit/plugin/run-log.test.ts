// What a run says and records besides its exit code: the vendor log's announcement of what it
// will claim, the warnings, the timings, the summary lines, what the scripts are given.
import { describe, expect, it } from 'vitest';
import { decide, runSnapshot } from '../../../src/plugin/run.js';
import type { RunPlan } from '../../../src/plugin/validate.js';
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
    const r = await runSnapshot(h.deps, params());
    const last = h.out.join('').trim().split('\n').at(-1)!;
    expect(last).toContain(`Failed with exit code ${r.ExitCode}: ${r.Error}`);
    expect(last).not.toContain('snapshot group');
    expect(last).not.toContain('snapshotgroup=');
  });
});

describe('decide: what the snapshots may claim', () => {
  const plan = (intent: RunPlan['intent']) => ({ intent }) as RunPlan;
  const p = (...w: string[]) => params(...w);
  it.each([
    // intent, EnableFsFreeze, scripts ok, freeze held → claim
    ['AppConsistent', true, true, true, 'AppConsistent'],
    ['AppConsistent', true, false, true, 'FsConsistent'],
    ['AppConsistent', true, true, false, 'None'],
    ['FsConsistent', true, true, true, 'FsConsistent'],
    ['FsConsistent', true, true, false, 'None'],
    ['AppConsistent', false, true, false, 'AppConsistent'],
    ['AppConsistent', false, false, false, 'None'],
    ['None', false, true, true, 'None'],
  ] as const)('%s, freeze %s, scripts ok %s, held %s: %s', (intent, freeze, ok, held, claim) => {
    expect(decide(plan(intent), p(`-EnableFsFreeze=${freeze}`), ok, held)).toBe(claim);
  });
});
