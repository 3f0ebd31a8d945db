// The frozen window in a run: what it records and logs about the thaw (when a freeze held across
// the point in time is consistency.test.ts's).
import { describe, expect, it } from 'vitest';
import { runSnapshot } from '../../../src/plugin/run.js';
import { harness, MemoryEngine, params } from '../../support/fakes.js';
import { AgentError } from '../../../src/errors/errors.js';

describe('the frozen window in a run', () => {
  it('records the window from the first freeze to the end of the thaw, and logs who thawed', async () => {
    const h = harness();
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(0);
    const window = Number(BigInt(r.Marks.thawEndNs!) - BigInt(r.Marks.firstFreezeNs!)) / 1e6;
    expect(r.Timings.freezeWindow).toBe(window);
    expect(r.Timings.freezeWindow).toBeGreaterThan(0);
    expect(r.Timings.freezeWindow).toBeLessThan(60_000);
    expect(h.out.join('\n')).toContain('Thaw filesystems done (on request)');
    expect(r.Frozen).toEqual(['/logs', '/data']);
    expect(r.FreezeHeld).toBe(true);
  });

  it("the engine's after-window work runs once, after the thaw and the apps' release", async () => {
    const engine = new MemoryEngine();
    const h = harness({ engine });
    const seen: string[] = [];
    engine.afterWindow = async () => {
      seen.push(`afterWindow after ${h.freezer.events.at(-1)}`);
    };
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(0);
    expect(seen).toEqual(['afterWindow after thaw']);
  });

  it("the engine's after-window work failing is the group call's failure: nothing tagged", async () => {
    const engine = new MemoryEngine();
    const h = harness({ engine });
    engine.afterWindow = async () => {
      throw new AgentError('CreateGroupFailed', 'writing the record failed');
    };
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(4);
    expect(r.Error).toContain('writing the record failed');
    expect(r.Consistency).toBe('None');
    expect(h.freezer.events).toContain('thaw');
  });

  it('freezes with the fsfreeze that validation found', async () => {
    const h = harness({ platform: { fsfreezePath: () => '/opt/util-linux/sbin/fsfreeze' } });
    expect((await runSnapshot(h.deps, params())).ExitCode).toBe(0);
    expect(h.freezer.fsfreeze).toBe('/opt/util-linux/sbin/fsfreeze');
  });

  it('a lost watchdog: the run says the agent thawed, and claims nothing', async () => {
    const h = harness();
    h.freezer.lostWatchdog = true;
    const r = await runSnapshot(h.deps, params());
    expect(h.out.join('\n')).toContain(
      'Thaw filesystems done (by the agent: the watchdog died or stopped answering)',
    );
    expect(r.ExitCode).toBe(11);
    expect(r.FreezeHeld).toBe(false);
    expect(r.Error).toContain('when the freeze ended cannot be known; TimeoutInSeconds=30');
  });

  it('no freeze at all (EnableFsFreeze=false): no window, no thaw line, the freeze not held', async () => {
    const h = harness();
    const r = await runSnapshot(h.deps, params('-EnableFsFreeze=false'));
    expect(r.ExitCode).toBe(0);
    expect(r.Timings.freezeWindow).toBeUndefined();
    // Start-up's marks only: nothing of a window.
    expect(Object.keys(r.Marks).sort()).toEqual(['lockedNs', 'runStartNs', 'validatedNs']);
    expect(h.out.join('\n')).not.toContain('Thaw filesystems done');
    expect(r.FreezeHeld).toBe(false);
    expect(h.freezer.events).toEqual([]);
  });

  it('a run refused before anything is done claims nothing and records no window', async () => {
    const h = harness({ platform: { isRoot: () => false } });
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).not.toBe(0);
    expect(r).toMatchObject({
      SnapshotGroupId: undefined,
      Consistency: 'None',
      Snapshots: [],
      Marks: {},
      Frozen: [],
      FreezeHeld: false,
      Scripts: [],
      Apps: [],
    });
  });
});
