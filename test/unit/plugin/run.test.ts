import { describe, expect, it } from 'vitest';
import { runSnapshot } from '../../../src/plugin/run.js';
import { tag } from '../../../src/plugin/tag.js';
import { AgentError } from '../../../src/errors/errors.js';
import { FakeQuiescer, harness, MemoryEngine, memoryDisks, params } from '../../support/fakes.js';

const SCRIPTS = ['-PreScriptPath=/tmp/prescript.sh', '-PostScriptPath=/tmp/postscript.sh'];
const tagsOf = (r: { Snapshots: { Tags: Record<string, string> }[] }) =>
  r.Snapshots.map((s) => s.Tags);

describe('runSnapshot: results and tags', () => {
  it('takes an AppConsistent group: pre, freeze, group, thaw, post, tag', async () => {
    const h = harness();
    let heldDuringCreate = false;
    h.engine.onCreate = () => (heldDuringCreate = h.deps.log.isHeld);
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(0);
    expect(r.Consistency).toBe('AppConsistent');
    expect(tagsOf(r)).toEqual([{ AppConsistent: 'True' }, { AppConsistent: 'True' }]);
    // reverse mount order, and the log held while frozen
    expect(h.freezer.events).toEqual(['prepare', 'freeze /logs,/data', 'thaw', 'dispose']);
    expect(heldDuringCreate).toBe(true);
    expect(h.scripts.ran).toEqual(['pre', 'post', 'cleanup']);
    expect(h.locks).toEqual(['acquire', 'release']);
    const last = h.out.at(-1)!;
    expect(last).toMatch(
      /\[snapshotgroup="ssg-mem1"\] \[message="Finish whole Processes of Snapshot successfully"\]/,
    );
    expect(h.out.join('')).toMatch(/Prescript cost=.*Postscript cost=/);
    expect(h.out.join('')).toMatch(
      /Prepare Freeze=.*Thaw cost=.*Snapshot Creation=.*Tag Resources=/,
    );
    expect(h.out.join('')).toMatch(/\[output="\npre output\n"\]/);
  });

  it('falls back to FsConsistent when a script fails the checks, and says why', async () => {
    const h = harness({ scripts: { valid: ['/tmp/postscript.sh'] } });
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(0);
    expect(r.Consistency).toBe('FsConsistent');
    expect(tagsOf(r)[0]).toEqual({ FsConsistent: 'True' });
    expect(h.scripts.ran).toEqual(['cleanup']); // pairs or nothing
    expect(r.Warnings.join('\n')).toMatch(
      /PreScriptPath \/tmp\/prescript.sh: the file does not exist; no script will run/,
    );
  });

  it('is FsConsistent with no scripts configured', async () => {
    const r = await runSnapshot(harness().deps, params());
    expect([r.ExitCode, r.Consistency]).toEqual([0, 'FsConsistent']);
  });

  it('with EnableFsFreeze=false freezes nothing and claims only what the scripts give', async () => {
    const h = harness();
    const none = await runSnapshot(h.deps, params('-EnableFsFreeze=false'));
    expect(h.freezer.events).toEqual([]);
    expect([none.ExitCode, none.Consistency, tagsOf(none)[0]]).toEqual([0, 'None', {}]);
    const app = await runSnapshot(harness().deps, params('-EnableFsFreeze=false', ...SCRIPTS));
    expect(app.Consistency).toBe('AppConsistent');
    expect([none.FreezeHeld, app.FreezeHeld]).toEqual([false, false]); // nothing was frozen
  });

  it('tags nothing on a disk with an unfreezable writable filesystem', async () => {
    const h = harness({
      platform: {
        mountinfo: () =>
          '60 27 254:16 / /data rw - xfs /dev/vdb rw\n61 27 254:32 / /fat rw - vfat /dev/vdc rw',
      },
    });
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(0);
    expect(tagsOf(r)).toEqual([{ FsConsistent: 'True' }, {}]);
  });
});

describe('runSnapshot: failures keep the pairs closed', () => {
  it('pre-script failure: exit 9, no group, post-script still runs, nothing frozen', async () => {
    const h = harness({ scripts: { outcome: { pre: { exitCode: 1 } } } });
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(9);
    expect(r.SnapshotGroupId).toBeUndefined();
    expect(h.scripts.ran).toEqual(['pre', 'post', 'cleanup']);
    // The watchdog started alongside the pre-script, and was never asked to freeze.
    expect(h.freezer.events).toEqual(['prepare', 'dispose']);
    expect(h.out.at(-1)).toMatch(
      /level="error".*exit code 9: Prescript \/tmp\/prescript.sh exited with 1/,
    );
  });

  it('pre-script timeout is a pre-script failure', async () => {
    const h = harness({
      scripts: { outcome: { pre: { exitCode: undefined, signal: 'SIGKILL', timedOut: true } } },
    });
    const r = await runSnapshot(h.deps, params(...SCRIPTS, '-ScriptTimeoutInSeconds=2'));
    expect(r.ExitCode).toBe(9);
    expect(r.Error).toMatch(/timed out after 2s; its process group was killed/);
  });

  it('post-script failure: exit 10, the group exists and is only FsConsistent', async () => {
    const h = harness({ scripts: { outcome: { post: { exitCode: 4 } } } });
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(10);
    expect(r.SnapshotGroupId).toBe('ssg-mem1');
    expect(tagsOf(r)[0]).toEqual({ FsConsistent: 'True' });
  });

  it('freeze failure: exit 11, no group, post-script runs', async () => {
    const h = harness();
    h.freezer.failFreeze = true;
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(11);
    expect(h.engine.groups.size).toBe(0);
    expect(h.scripts.ran).toEqual(['pre', 'post', 'cleanup']);
    expect(h.freezer.events).toContain('dispose');
  });

  it('quota exceeded while frozen: exit 14, thawed, post-script runs after the thaw', async () => {
    const h = harness();
    h.engine.quota = 0;
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(14);
    expect(h.freezer.events).toEqual(['prepare', 'freeze /logs,/data', 'thaw', 'dispose']);
    expect(h.scripts.ran).toEqual(['pre', 'post', 'cleanup']);
  });

  it('a group already in progress: exit 16', async () => {
    const h = harness();
    h.engine.fail.create = new AgentError('SnapshotInProgress', 'busy');
    expect((await runSnapshot(h.deps, params())).ExitCode).toBe(16);
  });

  it('a thaw that came before the snapshot point: exit 11, group kept without tags', async () => {
    const h = harness();
    h.freezer.lateThaw = true;
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(11);
    expect(r.SnapshotGroupId).toBe('ssg-mem1');
    expect(r.Consistency).toBe('None');
    expect(tagsOf(r)[0]).toEqual({});
    expect(r.Error).toMatch(/thawed \(by the watchdog: deadline\) before the snapshot point/);
  });

  it('thaw failure wins: exit 12', async () => {
    const h = harness();
    h.freezer.failThaw = true;
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(12);
    // The group was made while frozen, but a run that could not thaw claims nothing.
    expect(r.SnapshotGroupId).toBe('ssg-mem1');
    expect(tagsOf(r).every((t) => Object.keys(t).length === 0)).toBe(true);
    expect(r.Warnings.join('\n')).toMatch(/crash-consistent only/);
    // the one failure, said once (no empty "also:" for a window that itself went well)
    expect(h.out.filter((l) => l.includes('also:'))).toEqual([]);
    // Invariant 3 holds even here: the application is released (the script has its own timeout).
    expect(h.scripts.ran).toEqual(['pre', 'post WHILE FROZEN', 'cleanup']);
  });

  it('tagging failure: exit 8', async () => {
    const h = harness();
    h.engine.fail.tag = new AgentError('TagFailed', 'denied');
    expect((await runSnapshot(h.deps, params())).ExitCode).toBe(8);
  });
});

describe('runSnapshot: validation fails before anything runs', () => {
  it.each([
    ['all disks excluded', ['-ExcludeDiskId=d-1,d-2'], 3],
    ['unknown disk excluded', ['-ExcludeDiskId=d-9'], 1],
    ['bad snapshot name', ['-Name=9lives'], 1],
  ])('%s', async (_, words, code) => {
    const h = harness();
    const r = await runSnapshot(h.deps, params(...SCRIPTS, ...words));
    expect(r.ExitCode).toBe(code);
    expect(h.scripts.ran).toEqual(['cleanup']);
    expect(h.freezer.events).toEqual([]);
    expect(h.locks).toEqual([]);
  });

  it('unsupported OS or not root: exit 1', async () => {
    const os = harness({ platform: { osRelease: () => 'ID=ubuntu\nVERSION_ID="16.04"\n' } });
    expect((await runSnapshot(os.deps, params())).ExitCode).toBe(1);
    const user = harness({ platform: { isRoot: () => false } });
    expect((await runSnapshot(user.deps, params())).Error).toMatch(/must run as root/);
  });

  it('no supported disk: exit 3', async () => {
    const disks = memoryDisks(1).map((d) => ({
      ...d,
      supported: false,
      unsupportedReason: 'category cloud_efficiency is not supported',
    }));
    const r = await runSnapshot(harness({ engine: new MemoryEngine(disks) }).deps, params());
    expect(r.ExitCode).toBe(3);
    expect(r.Error).toMatch(/cloud_efficiency/);
  });

  it('fsfreeze missing: exit 1', async () => {
    const r = await runSnapshot(
      harness({ platform: { fsfreezePath: () => undefined } }).deps,
      params(),
    );
    expect([r.ExitCode, r.Error]).toEqual([1, 'fsfreeze (util-linux) is not installed']);
  });
});

describe('runSnapshot: interrupted (SIGINT/SIGTERM)', () => {
  it('after the pre-script: stops before the freeze, the post-script runs', async () => {
    const c = new AbortController();
    const h = harness({ interrupt: c.signal });
    const run = h.scripts.run.bind(h.scripts);
    h.scripts.run = async (...a) => {
      const r = await run(...a);
      c.abort('SIGTERM');
      return r;
    };
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect([r.ExitCode, r.Error]).toEqual([255, 'interrupted by SIGTERM before the freeze']);
    expect(h.scripts.ran).toEqual(['pre', 'post', 'cleanup']);
    // stopped before the window: not even the (empty) thaw of the window
    expect(h.freezer.events).toEqual(['prepare', 'dispose']);
  });

  it('while the engine warms up: no apps, stops before the freeze', async () => {
    const c = new AbortController();
    const h = harness({ interrupt: c.signal });
    h.engine.warmUp = async () => void c.abort('SIGINT');
    const r = await runSnapshot(h.deps, params());
    expect([r.ExitCode, r.Error]).toEqual([255, 'interrupted by SIGINT before the freeze']);
    // the window's own check: it thaws (nothing) on its way out
    expect(h.freezer.events).toEqual(['prepare', 'thaw', 'dispose']);
  });

  it('while the engine warms up: with apps, stops before any lock', async () => {
    const c = new AbortController();
    let app: FakeQuiescer | undefined;
    const h = harness({ interrupt: c.signal, apps: (f) => [(app = new FakeQuiescer('db1', f))] });
    h.engine.warmUp = async () => void c.abort('SIGINT');
    const r = await runSnapshot(h.deps, params());
    expect([r.ExitCode, r.Error]).toEqual([
      255,
      'interrupted by SIGINT before the application quiesce',
    ]);
    expect(app!.events).not.toContain('quiesce');
  });

  it('before it starts: nothing runs, exit 255', async () => {
    const c = new AbortController();
    c.abort('SIGTERM');
    const h = harness({ interrupt: c.signal });
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(255);
    expect(r.Error).toBe('interrupted by SIGTERM before the pre-script');
    expect(h.scripts.ran).toEqual(['cleanup']);
    expect(h.freezer.events).toEqual([]);
  });

  it('during the pre-script: it is stopped (exit 9), the post-script still runs, nothing is frozen', async () => {
    const c = new AbortController();
    const h = harness({
      interrupt: c.signal,
      scripts: { outcome: { pre: { exitCode: undefined, signal: 'SIGTERM', aborted: true } } },
    });
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(9);
    expect(r.Error).toMatch(/was stopped: the agent was interrupted/);
    expect(h.scripts.ran).toEqual(['pre', 'post', 'cleanup']);
    expect(h.freezer.events).toEqual(['prepare', 'dispose']);
  });

  it('while freezing: no group is made, everything is thawed, the post-script runs', async () => {
    const c = new AbortController();
    const h = harness({ interrupt: c.signal });
    const freeze = h.freezer.freeze.bind(h.freezer);
    h.freezer.freeze = async (waves, deadline) => {
      const out = await freeze(waves, deadline);
      c.abort('SIGTERM');
      return out;
    };
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(255);
    expect(r.Error).toBe('interrupted by SIGTERM before the snapshot group was created');
    expect(h.engine.groups.size).toBe(0);
    expect(h.freezer.events).toEqual(['prepare', 'freeze /logs,/data', 'thaw', 'dispose']);
    expect(h.scripts.ran).toEqual(['pre', 'post', 'cleanup']);
  });
});

describe('runSnapshot: waiting for the group', () => {
  it('polls until accomplished, after the thaw', async () => {
    const h = harness();
    h.engine.progressPolls = 2;
    const created = h.engine.createGroup.bind(h.engine);
    h.engine.createGroup = async (req) => ({ ...(await created(req)), status: 'progressing' });
    const progress: string[] = [];
    const r = await runSnapshot({ ...h.deps, progress: (l) => progress.push(l) }, params());
    expect(r.ExitCode).toBe(0);
    expect(h.engine.describeCalls).toBe(3);
    expect(r.Timings.wait).toBeGreaterThan(0);
    // A person at a terminal sees the progress; the log gets a line only every 10 s.
    expect(progress).toEqual([
      'SnapshotGroup ssg-mem1 progress: 100% (2/2 snapshots available)',
      'SnapshotGroup ssg-mem1 progress: 50% (0/2 snapshots available)',
      'SnapshotGroup ssg-mem1 progress: 50% (0/2 snapshots available)',
    ]);
  });

  it('a group that never finishes: exit 6 after GroupTimeoutInSeconds', async () => {
    const h = harness();
    h.engine.progressPolls = Infinity;
    const created = h.engine.createGroup.bind(h.engine);
    h.engine.createGroup = async (req) => ({ ...(await created(req)), status: 'progressing' });
    const r = await runSnapshot(h.deps, params('-GroupTimeoutInSeconds=1'));
    expect(r.ExitCode).toBe(6);
    expect(r.Error).toMatch(/not accomplished after 1s/);
    expect(h.freezer.events).toEqual(['prepare', 'freeze /logs,/data', 'thaw', 'dispose']);
  });
});

describe('runSnapshot: interrupted after the group call started', () => {
  const progressing = (h: ReturnType<typeof harness>) => {
    h.engine.progressPolls = Infinity;
    const created = h.engine.createGroup.bind(h.engine);
    h.engine.createGroup = async (req) => ({ ...(await created(req)), status: 'progressing' });
  };

  it('during the group call: it finishes, the filesystems thaw, no wait, no tag, exit 6 with the group id last', async () => {
    const c = new AbortController();
    const h = harness({ interrupt: c.signal });
    progressing(h);
    const create = h.engine.createGroup.bind(h.engine);
    h.engine.createGroup = async (req) => {
      c.abort('SIGTERM');
      return create(req);
    };
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(6);
    expect(r.Error).toMatch(
      /^interrupted by SIGTERM while waiting for snapshot group ssg-mem1: it exists but was not waited for/,
    );
    expect(h.freezer.events).toEqual(['prepare', 'freeze /logs,/data', 'thaw', 'dispose']);
    expect(h.scripts.ran).toEqual(['pre', 'post', 'cleanup']);
    expect(
      [...h.engine.groups.values()][0]!.snapshots.every((s) => !Object.keys(s.tags).length),
    ).toBe(true);
    expect(h.out.join('').trim().split('\n').at(-1)).toMatch(/\[snapshotgroup="ssg-mem1"\]/);
  });

  it('while waiting: polling stops at once (not after GroupTimeoutInSeconds), exit 6', async () => {
    const c = new AbortController();
    const h = harness({ interrupt: c.signal });
    progressing(h);
    const describe = h.engine.describeGroup.bind(h.engine);
    let polls = 0;
    h.engine.describeGroup = async (id) => {
      if (++polls === 1) setTimeout(() => c.abort('SIGINT'), 10);
      return describe(id);
    };
    const r = await runSnapshot(h.deps, params());
    expect(polls).toBe(1); // the 1 s sleep after it was cut short; no poll after the signal
    expect(r.ExitCode).toBe(6);
    expect(r.Error).toMatch(/^interrupted by SIGINT while waiting/);
    expect(r.SnapshotGroupId).toBe('ssg-mem1');
  });
});

describe('runSnapshot: warm-up', () => {
  it('warms the engine up right before the freeze, after the pre-script', async () => {
    const h = harness();
    const order: string[] = [];
    h.engine.warmUp = async () =>
      void order.push(`warmUp frozen=${h.freezer.frozenNow} ran=${h.scripts.ran.join(',')}`);
    await runSnapshot(h.deps, params(...SCRIPTS));
    expect(order).toEqual(['warmUp frozen=false ran=pre']);
  });
});

describe('runSnapshot: built-in quiescers', () => {
  function withApp() {
    let app!: FakeQuiescer;
    const h = harness({ apps: (freezer) => [(app = new FakeQuiescer('db1', freezer))] });
    return { h, app };
  }

  it('quiesces before the freeze, verifies and releases after the thaw, tags what it recorded', async () => {
    const { h, app } = withApp();
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(0);
    expect(r.Consistency).toBe('AppConsistent');
    expect(app.events).toEqual(['prepare', 'quiesce', 'verify', 'release', 'close']);
    expect(h.scripts.ran).toEqual(['pre', 'post', 'cleanup']);
    expect(r.Snapshots[0]!.Tags).toEqual({
      AppConsistent: 'True',
      'db1.LockTime': '2026-11-24 00:00:00.000001',
      'db1.Gtid': '0-1-7',
    });
    expect(r.Apps).toEqual([
      expect.objectContaining({ Name: 'db1', Held: true, Mode: 'fake-lock' }),
    ]);
    expect(r.Timings.quiesce).toBeGreaterThan(0);
  });

  it('syncs the dirty data once: before the lock with an app (not again under it), before the freeze without', async () => {
    const { h, app } = withApp();
    const synced: string[] = [];
    const withPresync = (deps: typeof h.deps) => ({
      ...deps,
      presync: async (mounts: readonly string[]) =>
        void synced.push(`${mounts.join(',')} ${app.locked ? 'UNDER LOCK' : 'before lock'}`),
    });
    expect((await runSnapshot(withPresync(h.deps), params())).ExitCode).toBe(0);
    expect(synced).toEqual(['/logs,/data before lock']);
    const plain = harness();
    synced.length = 0;
    expect((await runSnapshot(withPresync(plain.deps), params())).ExitCode).toBe(0);
    expect(synced).toEqual(['/logs,/data before lock']);
  });

  it('without a freeze claims nothing: a locked database may have pages no freeze flushed (scripts or not)', async () => {
    for (const words of [['-EnableFsFreeze=false'], ['-EnableFsFreeze=false', ...SCRIPTS]]) {
      const { h, app } = withApp();
      const r = await runSnapshot(h.deps, params(...words));
      expect(r.ExitCode).toBe(0);
      expect(app.events).toContain('quiesce'); // the lock is still taken as asked
      expect([r.Consistency, r.FreezeHeld, tagsOf(r)[0]]).toEqual(['None', false, {}]);
      expect(r.Warnings.join('\n')).toMatch(/EnableFsFreeze=false: the built-in quiescers/);
    }
    // With the freeze, the same run is AppConsistent and says its freeze held.
    const { h } = withApp();
    const r = await runSnapshot(h.deps, params());
    expect([r.Consistency, r.FreezeHeld]).toEqual(['AppConsistent', true]);
  });

  it('is AppConsistent without any script', async () => {
    const { h } = withApp();
    const r = await runSnapshot(h.deps, params());
    expect([r.ExitCode, r.Consistency]).toEqual([0, 'AppConsistent']);
  });

  it('a lock lost before the thaw never yields AppConsistent', async () => {
    const { h, app } = withApp();
    app.lose = true;
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(0);
    expect(r.Consistency).toBe('FsConsistent');
    expect(r.Snapshots[0]!.Tags).toEqual({ FsConsistent: 'True' });
    expect(r.Apps[0]!.Held).toBe(false);
    expect(r.Warnings).toContain(
      'app db1: its lock was lost before the thaw: the snapshot is not AppConsistent',
    );
  });

  it('connects every app and warms the engine up before the first lock is taken', async () => {
    const order: string[] = [];
    const h = harness({
      apps: (freezer) => {
        const a = new FakeQuiescer('db1', freezer);
        const b = new FakeQuiescer('db2', freezer);
        for (const q of [a, b]) {
          const prepare = q.prepare.bind(q);
          const quiesce = q.quiesce.bind(q);
          q.prepare = async () => (order.push(`connect ${q.name}`), prepare());
          q.quiesce = async () => (order.push(`lock ${q.name}`), quiesce());
        }
        return [a, b];
      },
    });
    h.engine.warmUp = async () => void order.push('warmUp');
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(0);
    expect(order).toEqual(['connect db1', 'connect db2', 'warmUp', 'lock db1', 'lock db2']);
  });

  it('quiesce failure: exit 9, no freeze, no group, the post-script still runs', async () => {
    const { h, app } = withApp();
    app.fail.quiesce = new AgentError(
      'PreScriptFailed',
      'app db1 (mysql): could not take the lock',
    );
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(9);
    expect(h.engine.groups.size).toBe(0);
    expect(h.scripts.ran).toEqual(['pre', 'post', 'cleanup']);
    expect(app.events).toEqual(['prepare', 'quiesce', 'close']);
  });

  it('released even when the group fails; release failure is exit 10', async () => {
    const { h, app } = withApp();
    h.engine.fail.create = new AgentError('CreateGroupFailed', 'boom');
    expect((await runSnapshot(h.deps, params())).ExitCode).toBe(4);
    expect(app.events).toContain('release');
    const second = withApp();
    second.app.fail.release = new AgentError(
      'PostScriptFailed',
      'app db1 (mysql): releasing the lock failed',
    );
    const r = await runSnapshot(second.h.deps, params());
    expect(r.ExitCode).toBe(10);
    expect(r.Consistency).toBe('FsConsistent');
  });
});

describe('runSnapshot: a group call whose answer never came (issue 27)', () => {
  const unanswered = (how: 'made' | 'lost', visibleFromFind = 1) => {
    const h = harness();
    h.engine.unanswered = how;
    h.engine.visibleFromFind = visibleFromFind;
    return h;
  };

  it('the group came of it: reported by id, untagged, crash-consistent at best, exit 11', async () => {
    const h = unanswered('made', 3); // listed only at the third look, as a service may
    const r = await runSnapshot(h.deps, params(...SCRIPTS));
    expect(r.ExitCode).toBe(11);
    expect(r.SnapshotGroupId).toBe('ssg-mem1');
    expect(tagsOf(r)).toEqual([{}, {}]);
    expect(r.Consistency).toBe('None');
    expect(r.Error).toMatch(/no answer, so its point in time cannot be shown .* ssg-mem1 is kept/);
    expect(r.Warnings.join('\n')).toMatch(/made snapshot group ssg-mem1 all the same/);
    expect(h.engine.findCalls).toBe(3);
    expect(h.freezer.events.indexOf('thaw')).toBeGreaterThan(-1); // looked after the thaw
    expect(h.scripts.ran).toEqual(['pre', 'post', 'cleanup']);
    expect(h.out.at(-1)).toMatch(/\[snapshotgroup="ssg-mem1"\]/); // the id on the last line
  });

  it('DeleteUnclaimedGroup=true: the group it made is deleted, and the run says so', async () => {
    const h = unanswered('made');
    const r = await runSnapshot(h.deps, params('-DeleteUnclaimedGroup=true'));
    expect(r.ExitCode).toBe(11);
    expect(r.SnapshotGroupId).toBeUndefined();
    expect(h.engine.groups.size).toBe(0);
    expect(r.Error).toMatch(/the group ssg-mem1 it made was deleted \(DeleteUnclaimedGroup=true\)/);
  });

  it('no group came of it within the bound (GroupTimeoutInSeconds): exit 4, and it says so', async () => {
    const h = unanswered('lost');
    const r = await runSnapshot(h.deps, params('-GroupTimeoutInSeconds=1'));
    expect(r.ExitCode).toBe(4);
    expect(r.SnapshotGroupId).toBeUndefined();
    expect(r.Error).toMatch(/no answer \(lost\); the request may|no group came of it within 1 s/);
    expect(r.Error).toMatch(/no group came of it within 1 s/);
    expect(h.engine.findCalls).toBeGreaterThan(1);
  });

  it('the freeze ended at the deadline meanwhile: exit 11 whatever the HTTP layer said, the group reported', async () => {
    const h = unanswered('made');
    h.freezer.lateThaw = true;
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(11);
    expect(r.SnapshotGroupId).toBe('ssg-mem1');
    expect(r.Error).toMatch(/thawed \(by the watchdog: deadline\).*ssg-mem1 is kept/);
  });

  it('looking fails every time: exit 4, the group may exist, and where to look for it', async () => {
    const h = unanswered('lost');
    h.engine.fail.find = new AgentError('CreateGroupFailed', 'Throttling.User');
    const r = await runSnapshot(h.deps, params('-GroupTimeoutInSeconds=1'));
    expect(r.ExitCode).toBe(4);
    expect(r.Error).toBe(
      'no answer (lost); whether a group came of it is unknown (looking failed: Throttling.User); look for Name=test1 in the console',
    );
    expect(h.engine.findCalls).toBeGreaterThan(1); // retried within the bound
  });

  it('a lookup that fails once and then finds it: the group is reported', async () => {
    const h = unanswered('made');
    const find = h.engine.findGroup.bind(h.engine);
    let calls = 0;
    h.engine.findGroup = async (req, since) => {
      if (calls++ === 0) throw new AgentError('CreateGroupFailed', 'ServiceUnavailable');
      return find(req, since);
    };
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(11);
    expect(r.SnapshotGroupId).toBe('ssg-mem1');
  });

  it('no group, and the freeze ended early: exit 11 with both reasons', async () => {
    const h = unanswered('lost');
    h.freezer.lateThaw = true;
    const r = await runSnapshot(h.deps, params('-GroupTimeoutInSeconds=1'));
    expect(r.ExitCode).toBe(11);
    expect(r.Error).toBe(
      'the filesystems were thawed (by the watchdog: deadline) before the snapshot point was fixed; no group came of it within 1 s',
    );
  });

  it('a group that cannot be deleted (the agent interrupted meanwhile): kept, reported, and why', async () => {
    const c = new AbortController();
    const h = harness({ interrupt: c.signal });
    h.engine.unanswered = 'made';
    h.engine.onCreate = () => c.abort('SIGTERM');
    h.engine.fail.delete = new AgentError('CreateGroupFailed', 'IncorrectSnapshotGroupStatus');
    const r = await runSnapshot(h.deps, params('-DeleteUnclaimedGroup=true'));
    expect(r.ExitCode).toBe(11);
    expect(r.SnapshotGroupId).toBe('ssg-mem1');
    expect(h.engine.groups.size).toBe(1);
    expect(r.Error).toMatch(
      /the group ssg-mem1 it made could not be deleted \(see the log\): kept, without a consistency tag$/,
    );
    expect(h.out.join('')).toContain(
      'could not delete snapshot group ssg-mem1: IncorrectSnapshotGroupStatus',
    );
  });

  it('a group deleted only at the second try', async () => {
    const h = unanswered('made');
    const del = h.engine.deleteGroup.bind(h.engine);
    let calls = 0;
    h.engine.deleteGroup = async (id) => {
      if (calls++ === 0) throw new AgentError('CreateGroupFailed', 'IncorrectSnapshotGroupStatus');
      return del(id);
    };
    const r = await runSnapshot(h.deps, params('-DeleteUnclaimedGroup=true'));
    expect(calls).toBe(2);
    expect(h.engine.groups.size).toBe(0);
    expect(r.SnapshotGroupId).toBeUndefined();
    expect(h.out.join('')).toContain('deleted snapshot group ssg-mem1 (DeleteUnclaimedGroup=true)');
  });

  it('a refusal by the service is not looked for: no group was made (exit 14)', async () => {
    const h = harness();
    h.engine.fail.create = new AgentError('SnapshotQuotaExceeded', 'quota');
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(14);
    expect(h.engine.findCalls).toBe(0);
  });
});

describe("runSnapshot: the vendor log's figures mean what they say (issue 27)", () => {
  /** A Go duration as the log prints it ("554.192ms", "1.9560813s", "10.56µs", "0s") in ms. */
  const ms = (d: string) => {
    const m = /^([\d.]+)(h|m|s|ms|µs|ns)$/.exec(d)!;
    const unit = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, µs: 1e-3, ns: 1e-6 }[m[2] as 'ms'];
    return Number(m[1]) * unit;
  };

  it('Cost is the call, QueryCost the wait after it, TotalCost from the call to accomplished', async () => {
    const h = harness();
    h.engine.createDelayMs = 300;
    h.engine.progressPolls = 2; // two polls of "progressing": a wait of about 1.5 s
    const created = h.engine.createGroup.bind(h.engine);
    h.engine.createGroup = async (req) => ({ ...(await created(req)), status: 'progressing' });
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(0);
    const text = h.out.join('');
    const call = /SnapshotGroup, requestid=([\w-]+), GroupId=ssg-mem1, Cost:([^"]+)"/.exec(text);
    expect(call, text).not.toBeNull();
    expect(call![1]).toMatch(/^[0-9a-f-]{36}$/); // no service here: the ClientToken stands in
    const fin =
      /Finish SnapshotGroup =ssg-mem1 Creation, TotalCost=([^,]+), QueryCost=([^"]+)"/.exec(text);
    expect(fin, text).not.toBeNull();
    expect(text).toContain('Finished Quering SnapshotGroup Progress');
    const [cost, total, query] = [ms(call![2]!), ms(fin![1]!), ms(fin![2]!)];
    expect(cost).toBeGreaterThanOrEqual(290);
    expect(query).toBeGreaterThanOrEqual(1400);
    expect(total).toBeGreaterThanOrEqual(cost + query);
  });
});

describe('runSnapshot: an engine that writes into a filesystem the run would freeze', () => {
  /** The in-memory engine, writing while frozen into `dir` as the local engine does into its pool. */
  const writing = (dir: string) => {
    const h = harness();
    h.engine.writes = [dir];
    return h;
  };

  it('is refused before anything runs (exit 1), naming the pool and the mount', async () => {
    const h = writing('/data/pool');
    h.engine.writes.unshift('/srv/elsewhere'); // every directory is checked
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(1);
    expect(r.Error).toBe(
      'the pool /data/pool is on /data, a filesystem of the group that would be frozen',
    );
    expect(h.freezer.events).toEqual([]);
    expect(h.engine.groups.size).toBe(0);
  });

  it('is fine on a filesystem outside the group, or when nothing is frozen', async () => {
    expect((await runSnapshot(writing('/srv/pool').deps, params())).ExitCode).toBe(0);
    const unfrozen = writing('/data/pool');
    expect((await runSnapshot(unfrozen.deps, params('-EnableFsFreeze=false'))).ExitCode).toBe(0);
  });
});

describe('runSnapshot: the frozen window, as the engine and the log see it', () => {
  it('the engine gets the freeze deadline (TimeoutInSeconds), and the log names what is frozen and created', async () => {
    const h = harness();
    let budget: number | undefined;
    const created = h.engine.createGroup.bind(h.engine);
    h.engine.createGroup = (req) => ((budget = req.deadline?.budgetMs), created(req));
    const r = await runSnapshot(h.deps, params('-TimeoutInSeconds=7'));
    expect(r.ExitCode).toBe(0);
    expect(budget).toBe(7000);
    const text = h.out.join('');
    expect(text).toContain('[message="Freeze filesystems (2): /logs, /data"]');
    // waves apart: a filesystem whose image lives on /data is frozen first
    const waved = harness({
      platform: { backingFileOf: (dev) => (dev === '254:32' ? '/data/logs.img' : undefined) },
    });
    await runSnapshot(waved.deps, params());
    expect(waved.out.join('')).toContain('[message="Freeze filesystems (2): /logs | /data"]');
    expect(text).toContain('[message="Create snapshot group for disks: d-1, d-2"]');
    expect(r.FreezeHeld).toBe(true);
  });

  it('without a freeze the engine gets no deadline, and the log says nothing needs freezing only when a freeze was asked for', async () => {
    const h = harness({ platform: { mountinfo: () => '27 1 254:0 / / rw - ext4 /dev/vda rw' } });
    let sawDeadline = true;
    const created = h.engine.createGroup.bind(h.engine);
    h.engine.createGroup = (req) => ((sawDeadline = req.deadline !== undefined), created(req));
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(0);
    expect(sawDeadline).toBe(false);
    expect(h.out.join('')).toContain('No mounted filesystem on the group disks needs freezing');
    const off = harness();
    await runSnapshot(off.deps, params('-EnableFsFreeze=false'));
    expect(off.out.join('')).not.toContain('needs freezing');
  });

  it('FreezeHeld is false whenever the freeze cannot be shown to have held: a thaw failure, a late thaw', async () => {
    const failed = harness();
    failed.freezer.failThaw = true;
    expect((await runSnapshot(failed.deps, params())).FreezeHeld).toBe(false);
    const late = harness();
    late.freezer.lateThaw = true;
    const r = await runSnapshot(late.deps, params());
    expect(r.FreezeHeld).toBe(false);
    expect(r.Error).toMatch(
      /; TimeoutInSeconds=30; the group ssg-mem1 is kept, without a consistency tag$/,
    );
  });
});

describe('runSnapshot: tagging and the wait, each outcome its own code', () => {
  it("any failure while tagging is exit 8, the engine's own words kept", async () => {
    const h = harness();
    h.engine.fail.tag = new AgentError('NoRamRole', 'the security token expired');
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(8);
    expect(r.Error).toBe('tagging snapshots failed: the security token expired');
    const tagFailed = harness();
    tagFailed.engine.fail.tag = new AgentError('TagFailed', 'QuotaExceed.Tags');
    expect((await runSnapshot(tagFailed.deps, params())).Error).toBe('QuotaExceed.Tags');
    // what the engine threw stays attached, for whoever debugs it
    const socket = harness();
    const hangUp = new Error('socket hang up');
    socket.engine.tagSnapshots = async () => Promise.reject(hangUp);
    await expect(
      tag(socket.deps, { ids: ['s-1'], tags: { FsConsistent: 'True' } }, 'FsConsistent'),
    ).rejects.toMatchObject({ kind: 'TagFailed', cause: hangUp });
  });

  it("a quiescer's fact is cut to a tag value's 128 characters", async () => {
    let app!: FakeQuiescer;
    const h = harness({ apps: (freezer) => [(app = new FakeQuiescer('db1', freezer))] });
    const quiesce = app.quiesce.bind(app);
    app.quiesce = async () => {
      const held = await quiesce();
      return { ...held, facts: { Long: 'x'.repeat(200) } };
    };
    const r = await runSnapshot(h.deps, params());
    expect(r.Snapshots[0]!.Tags['db1.Long']).toBe('x'.repeat(128));
  });

  it('nothing to tag (no disk covered by the freeze): the engine is not asked', async () => {
    const h = harness({
      platform: {
        // Both group disks hold writable filesystems that cannot be frozen (vfat).
        mountinfo: () =>
          [
            '27 1 254:0 / / rw - ext4 /dev/vda rw',
            '60 27 254:16 / /data rw - vfat /dev/vdb rw',
            '61 27 254:32 / /logs rw - vfat /dev/vdc rw',
          ].join('\n'),
      },
    });
    let asked = 0;
    const tagSnapshots = h.engine.tagSnapshots.bind(h.engine);
    h.engine.tagSnapshots = (ids, tags) => (asked++, tagSnapshots(ids, tags));
    const r = await runSnapshot(h.deps, params());
    expect(tagsOf(r)).toEqual([{}, {}]);
    expect(asked).toBe(0);
  });

  it('a group that ends failed is exit 5; one whose snapshot is not usable is exit 7', async () => {
    for (const [change, code, msg] of [
      [{ status: 'failed' }, 5, /snapshot group ssg-mem1 failed/],
      [
        { snapshot: { status: 'progressing', progress: 99 } },
        7,
        /snapshot s-mem1x0 of disk d-1 is progressing \(99%\)/,
      ],
    ] as const) {
      const h = harness();
      const created = h.engine.createGroup.bind(h.engine);
      h.engine.createGroup = async (req) => ({ ...(await created(req)), status: 'progressing' });
      h.engine.describeGroup = async (id) => {
        const g = h.engine.groups.get(id)!;
        if ('status' in change) return { ...g, status: change.status };
        const [first, ...rest] = g.snapshots;
        return { ...g, snapshots: [{ ...first!, ...change.snapshot }, ...rest] };
      };
      const r = await runSnapshot(h.deps, params());
      expect(r.ExitCode).toBe(code);
      expect(r.Error).toMatch(msg);
      expect(tagsOf(r).every((t) => Object.keys(t).length === 0)).toBe(true);
    }
  });
});

describe('runSnapshot: several built-in quiescers', () => {
  function twoApps() {
    const order: string[] = [];
    const apps: FakeQuiescer[] = [];
    const h = harness({
      apps: (freezer) =>
        ['db1', 'db2'].map((name) => {
          const q = new FakeQuiescer(name, freezer);
          const quiesce = q.quiesce.bind(q);
          q.quiesce = async () => {
            const held = await quiesce();
            order.push(`lock ${name}`);
            return {
              ...held,
              facts: { Gtid: `${name}-gtid` },
              release: async () => (order.push(`release ${name}`), held.release()),
            };
          };
          apps.push(q);
          return q;
        }),
    });
    return { h, apps, order };
  }

  it('locks in order, releases in reverse, records each, and logs what each took', async () => {
    const { h, order } = twoApps();
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(0);
    expect(order).toEqual(['lock db1', 'lock db2', 'release db2', 'release db1']);
    expect(r.Apps.map((a) => [a.Name, a.Held])).toEqual([
      ['db2', true],
      ['db1', true],
    ]);
    expect(r.Warnings.join('\n')).not.toMatch(/lock was lost/);
    const text = h.out.join('');
    expect(text).toContain('[message="Quiesce mysql app db1"]');
    expect(text).toContain('[message="App db2 quiesced: fake-lock; Gtid=db2-gtid"]');
    expect(text).toContain('[message="Connect to mysql app db1"]');
    expect(text).toContain('[message="App db1: fake-lock"]');
  });

  it('one lock lost: says which, claims FsConsistent only, still releases both', async () => {
    const { h, apps, order } = twoApps();
    const afterThaw: string[] = [];
    for (const q of apps) {
      const quiesce = q.quiesce.bind(q);
      q.quiesce = async () => {
        const held = await quiesce();
        return { ...held, afterThaw: async () => void afterThaw.push(q.name) };
      };
    }
    apps[1]!.lose = true;
    const r = await runSnapshot(h.deps, params());
    expect(r.Consistency).toBe('FsConsistent');
    expect(r.Warnings).toContain(
      'app db2: its lock was lost before the thaw: the snapshot is not AppConsistent',
    );
    expect(order.filter((o) => o.startsWith('release'))).toEqual(['release db2', 'release db1']);
    expect(afterThaw).toEqual(['db1']); // only for a lock that held
  });

  it("a quiescer's after-thaw work that fails is its run's failure (exit 10), and nothing is AppConsistent", async () => {
    const { h, apps } = twoApps();
    const quiesce = apps[0]!.quiesce.bind(apps[0]!);
    apps[0]!.quiesce = async () => ({
      ...(await quiesce()),
      afterThaw: () => Promise.reject(new AgentError('PostScriptFailed', 'metadata backup failed')),
    });
    const r = await runSnapshot(h.deps, params());
    expect(r.ExitCode).toBe(10);
    expect(r.Consistency).toBe('FsConsistent');
    expect(r.Error).toBe('metadata backup failed');
  });
});

describe('runSnapshot: what validation says', () => {
  it('names the unknown disk and the disks there are; says why no disk is left', async () => {
    const r = await runSnapshot(harness().deps, params('-ExcludeDiskId=d-9'));
    expect(r.Error).toBe(
      'ExcludeDiskId names disk(s) this instance does not have: d-9 (disks: d-1, d-2)',
    );
    const none = await runSnapshot(harness().deps, params('-ExcludeDiskId=d-1,d-2'));
    expect(none.ExitCode).toBe(3);
    expect(none.Error).toBe(
      'no disk left to snapshot (d-1: excluded by ExcludeDiskId; d-2: excluded by ExcludeDiskId)',
    );
    const empty = harness({ engine: new MemoryEngine([]) });
    expect((await runSnapshot(empty.deps, params())).Error).toBe(
      'no disk left to snapshot (the instance has no disks)',
    );
  });
});
