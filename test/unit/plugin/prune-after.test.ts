import { describe, expect, it } from 'vitest';
import { runSnapshot } from '../../../src/plugin/run.js';
import { AgentError } from '../../../src/errors/errors.js';
import { CREATED_BY } from '../../../src/retention/mark.js';
import { harness, params } from '../../support/fakes.js';

/** Earlier groups of this agent in the engine: `name` on the given days. */
async function earlier(h: ReturnType<typeof harness>, name: string, days: number[], mark = true) {
  for (const d of days) {
    const g = await h.engine.createGroup({
      name,
      description: '',
      diskIds: h.engine.disks.map((x) => x.id),
      instantAccess: false,
      instantAccessRetentionDays: 1,
      clientToken: `${name}-${d}`,
      ...(mark ? { tags: { [CREATED_BY.key]: CREATED_BY.value } } : {}),
    });
    h.engine.groups.set(g.id, {
      ...g,
      createdAt: `2026-01-${String(d).padStart(2, '0')}T00:00:00.000Z`,
    });
  }
}
const names = (h: ReturnType<typeof harness>) => [...h.engine.groups.values()].map((g) => g.name);

describe('the keep options on a snapshot run', () => {
  it("after a successful run, prune that -Name's groups (only ours, only that name)", async () => {
    const h = harness();
    await earlier(h, 'nightly', [1, 2, 3]);
    await earlier(h, 'nightly', [4], false); // made by hand: never a candidate
    await earlier(h, 'other', [1, 2]);
    const r = await runSnapshot(h.deps, params('-Name=nightly', '-KeepLast=2'));
    expect(r.ExitCode).toBe(0);
    const left = [...h.engine.groups.values()];
    expect(left.filter((g) => g.name === 'nightly').map((g) => g.createdAt.slice(0, 10))).toEqual([
      '2026-01-03',
      '2026-01-04',
      expect.stringMatching(/^20\d\d-/), // this run's group
    ]);
    expect(names(h).filter((n) => n === 'other')).toHaveLength(2);
    expect(r.Pruned).toEqual({
      Kept: [r.SnapshotGroupId, expect.any(String)],
      Removed: [expect.any(String), expect.any(String)],
      NotRemoved: [],
    });
    expect(h.out.join('')).toMatch(/Prune nightly: 2 kept, 2 removed \(ssg-/);
    expect(r.Timings.prune).toBeGreaterThanOrEqual(0);
  });

  it('never after a failed run: the last good groups survive a bad night', async () => {
    const h = harness({ scripts: { outcome: { pre: { exitCode: 1 } } } });
    await earlier(h, 'nightly', [1, 2, 3]);
    const r = await runSnapshot(
      h.deps,
      params(
        '-Name=nightly',
        '-KeepLast=1',
        '-PreScriptPath=/tmp/prescript.sh',
        '-PostScriptPath=/tmp/postscript.sh',
      ),
    );
    expect(r.ExitCode).toBe(9);
    expect(h.engine.groups.size).toBe(3);
    expect(r.Pruned).toBeUndefined();
  });

  it('not after a run that made its group but failed later (tagging)', async () => {
    const h = harness();
    await earlier(h, 'nightly', [1, 2, 3]);
    h.engine.fail.tag = new AgentError('TagFailed', 'tagging refused');
    const r = await runSnapshot(h.deps, params('-Name=nightly', '-KeepLast=1'));
    expect(r.ExitCode).toBe(8);
    expect(h.engine.groups.size).toBe(4);
  });

  it('a prune that cannot delete is a warning; the run stays a success', async () => {
    const h = harness();
    await earlier(h, 'nightly', [1]);
    h.engine.fail.delete = new AgentError('ConditionCheckFailed', 'Forbidden.RAM');
    const r = await runSnapshot(h.deps, params('-Name=nightly', '-KeepLast=1'));
    expect(r.ExitCode).toBe(0);
    expect(r.Pruned?.NotRemoved).toEqual([
      { SnapshotGroupId: expect.any(String), Error: 'Forbidden.RAM' },
    ]);
    expect(r.Warnings.join('\n')).toMatch(/prune: group ssg-\S+ was not removed: Forbidden\.RAM/);
  }, 20_000);

  it('a malformed keep option is exit 2 before anything runs', async () => {
    const h = harness();
    const r = await runSnapshot(h.deps, params('-Name=nightly', '-KeepWithin=3x'));
    expect(r.ExitCode).toBe(2);
    expect(r.Error).toMatch(/--keep-within must be a span/);
    expect(h.engine.groups.size).toBe(0);
    expect(h.locks).toEqual([]);
  });
});
