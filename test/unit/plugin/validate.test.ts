// validate() on fakes: the plan it makes, and the reasons it gives (they reach the vendor log as
// warnings whenever the run will not claim AppConsistent).
import { describe, expect, it } from 'vitest';
import type { EngineDisk } from '../../../src/engines/types.js';
import { validate } from '../../../src/plugin/validate.js';
import {
  deviceNodesOnly,
  FakeQuiescer,
  harness,
  MemoryEngine,
  memoryDisks,
  params,
} from '../../support/fakes.js';

const PRE = '-PreScriptPath=/tmp/prescript.sh';
const POST = '-PostScriptPath=/tmp/postscript.sh';
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

describe('validate: what the run may claim, and why', () => {
  it('no script, no quiescer, a freeze: FsConsistent, and says no pre-script was given', async () => {
    const plan = await validate(harness().deps, params());
    expect(plan.intent).toBe('FsConsistent');
    expect(plan.why).toEqual(['no PreScriptPath given']);
    expect(plan.warnings).toEqual([]);
    expect(plan.pre).toBeUndefined();
  });

  it('no freeze and no script: None, with both reasons', async () => {
    const plan = await validate(harness().deps, params('-EnableFsFreeze=false'));
    expect(plan.intent).toBe('None');
    expect(plan.why).toEqual([
      'EnableFsFreeze=false: filesystems are not frozen, so no FsConsistent tag is possible',
      'no PreScriptPath given',
    ]);
    expect(plan.freeze).toBeUndefined();
    expect(plan.fsfreeze).toBeUndefined();
    expect(plan.warnings).toEqual([]);
  });

  it('a pre- and post-script: AppConsistent, naming both first', async () => {
    const plan = await validate(harness().deps, params(PRE, POST));
    expect(plan.intent).toBe('AppConsistent');
    expect(plan.why).toEqual([
      'pre-script /tmp/prescript.sh and post-script /tmp/postscript.sh will run',
    ]);
    expect(plan.pre?.path).toBe('/tmp/prescript.sh');
    expect(plan.post?.path).toBe('/tmp/postscript.sh');
  });

  it('a pre-script alone says there is no post-script', async () => {
    const plan = await validate(harness().deps, params(PRE));
    expect(plan.why).toEqual(['pre-script /tmp/prescript.sh and no post-script will run']);
  });

  it('built-in quiescers: AppConsistent, named by type and name, no "no PreScriptPath"', async () => {
    const h = harness({ apps: () => [new FakeQuiescer('db1'), new FakeQuiescer('db2')] });
    const plan = await validate(h.deps, params());
    expect(plan.intent).toBe('AppConsistent');
    expect(plan.why).toEqual(['built-in quiescer(s): mysql app db1, mysql app db2']);
  });

  it('built-in quiescers without a freeze: no claim, and the quiescers named first', async () => {
    const h = harness({ apps: () => [new FakeQuiescer('db1')] });
    const plan = await validate(h.deps, params('-EnableFsFreeze=false'));
    expect(plan.intent).toBe('None');
    expect(plan.why[0]).toBe('built-in quiescer(s): mysql app db1');
    expect(plan.why[1]).toMatch(/^EnableFsFreeze=false: the built-in quiescers' databases/);
  });

  it.each([
    ['PreScriptPath', '-PreScriptPath=/nope/pre.sh', POST],
    ['PostScriptPath', PRE, '-PostScriptPath=/nope/post.sh'],
  ])(
    'a %s that fails its check: no script of the pair runs, and it says which',
    async (name, a, b) => {
      const plan = await validate(harness().deps, params(a, b));
      expect(plan.pre).toBeUndefined();
      expect(plan.post).toBeUndefined();
      const bad = name === 'PreScriptPath' ? '/nope/pre.sh' : '/nope/post.sh';
      expect(plan.why).toContain(`${name} ${bad}: the file does not exist; no script will run`);
      expect(plan.intent).toBe('FsConsistent');
    },
  );
});

describe('validate: the disks', () => {
  const withDisks = (disks: EngineDisk[]) => harness({ engine: new MemoryEngine(disks) }).deps;

  it('an excluded disk the instance does not have: refused, naming the disks there are (or none)', async () => {
    const none = await rejection(validate(withDisks([]), params('-ExcludeDiskId=d-9')));
    expect(none!.message).toBe(
      'ExcludeDiskId names disk(s) this instance does not have: d-9 (disks: none)',
    );
    const two = await rejection(validate(withDisks(memoryDisks(2)), params('-ExcludeDiskId=d-9')));
    expect(two!.message).toBe(
      'ExcludeDiskId names disk(s) this instance does not have: d-9 (disks: d-1, d-2)',
    );
    const both = await rejection(
      validate(withDisks(memoryDisks(2)), params('-ExcludeDiskId=d-8,d-1,d-9')),
    );
    expect(both!.message).toMatch(/does not have: d-8, d-9 \(/);
  });

  it('excluded and unsupported disks are skipped with a reason; the category when none is given', async () => {
    const [a, b, c] = memoryDisks(3);
    const plan = await validate(
      withDisks([a!, { ...b!, supported: false, category: 'ephemeral_ssd' }, c!]),
      params('-ExcludeDiskId=d-3'),
    );
    expect(plan.disks.map((d) => d.id)).toEqual(['d-1']);
    expect(plan.skippedDisks).toEqual([
      { id: 'd-2', reason: 'category ephemeral_ssd is not supported' },
      { id: 'd-3', reason: 'excluded by ExcludeDiskId' },
    ]);
    const told = await validate(
      withDisks([a!, { ...b!, supported: false, unsupportedReason: 'a shared disk' }]),
      params(),
    );
    expect(told.skippedDisks).toEqual([{ id: 'd-2', reason: 'a shared disk' }]);
  });

  it('no disk left: exit 3 with every reason, or that the instance has none', async () => {
    const empty = await rejection(validate(withDisks([]), params()));
    expect(empty!.message).toBe('no disk left to snapshot (the instance has no disks)');
    expect((empty as { exitCode?: number }).exitCode).toBe(3);
    const all = await rejection(
      validate(withDisks(memoryDisks(2)), params('-ExcludeDiskId=d-1,d-2')),
    );
    expect(all!.message).toBe(
      'no disk left to snapshot (d-1: excluded by ExcludeDiskId; d-2: excluded by ExcludeDiskId)',
    );
  });

  it('a disk with a writable filesystem that cannot be frozen: a warning naming it and why', async () => {
    const h = harness({
      platform: {
        mountinfo: () =>
          '60 27 254:16 / /data rw - xfs /dev/vdb rw\n61 27 254:32 / /fat rw - vfat /dev/vdc rw',
      },
    });
    const plan = await validate(h.deps, params());
    expect(plan.warnings).toEqual([
      'disk d-2 has a writable filesystem that cannot be frozen (/fat: filesystem type vfat is not freezable (allowed: ext3, ext4, xfs, btrfs)): its snapshot gets no consistency tag',
    ]);
  });

  it('the warning names only the mounts that leave the disk uncovered, each with its reason', async () => {
    const h = harness({
      platform: {
        mountinfo: () =>
          [
            '60 27 254:16 / /data rw - xfs /dev/vdb rw',
            '61 27 254:16 / /data-again rw - xfs /dev/vdb rw',
            '62 27 254:32 / /fat rw - vfat /dev/vdc rw',
            '63 27 254:32 / /fat-again rw - vfat /dev/vdc rw',
          ].join('\n'),
      },
    });
    const plan = await validate(h.deps, params());
    const why = 'filesystem type vfat is not freezable (allowed: ext3, ext4, xfs, btrfs)';
    expect(plan.warnings).toEqual([
      `disk d-2 has a writable filesystem that cannot be frozen (/fat: ${why}; /fat-again: ${why}): its snapshot gets no consistency tag`,
    ]);
  });

  it('sysfs is asked only about the disks that have a device node', async () => {
    const [data, logs] = memoryDisks(2);
    const h = harness({ engine: new MemoryEngine([data!, { ...logs!, device: undefined }]) });
    const plan = await validate(
      { ...h.deps, platform: deviceNodesOnly(h.deps.platform) },
      params(),
    );
    expect(plan.freeze?.freeze.map((f) => f.mountPoint)).toEqual(['/data']);
  });

  it('a filesystem whose loop image lives on another is frozen in a wave before it', async () => {
    const image = (dev: string) => (dev === '254:32' ? '/data/logs.img' : undefined);
    const plan = await validate(harness({ platform: { backingFileOf: image } }).deps, params());
    expect(plan.freeze?.waves).toEqual([['/logs'], ['/data']]);
    expect((await validate(harness().deps, params())).freeze?.waves).toEqual([['/logs', '/data']]);
  });

  it('fsfreeze is looked up only when something is to be frozen', async () => {
    const missing = harness({ platform: { fsfreezePath: () => undefined } });
    expect((await rejection(validate(missing.deps, params())))!.message).toBe(
      'fsfreeze (util-linux) is not installed',
    );
    const nothing = harness({ platform: { fsfreezePath: () => undefined, mountinfo: () => '' } });
    const plan = await validate(nothing.deps, params());
    expect(plan.fsfreeze).toBeUndefined();
    expect(plan.freeze?.freeze).toEqual([]);
  });
});

describe('validate: an engine that writes into a btrfs subvolume of a group filesystem', () => {
  it('is found through the subvolume source device, not the anonymous device number', async () => {
    const h = harness({
      platform: {
        mountinfo: () =>
          [
            '60 27 0:51 /@data /data rw - btrfs /dev/vdb rw',
            '62 27 0:51 /@pool /var/pool rw - btrfs /dev/vdb rw',
            '61 27 254:32 / /logs rw - ext4 /dev/vdc rw',
          ].join('\n'),
        devOfNode: (node) => (node === '/dev/vdb' ? '254:16' : undefined),
      },
    });
    h.engine.writes = ['/var/pool/x'];
    const err = await rejection(validate(h.deps, params()));
    expect(err!.message).toBe(
      'the pool /var/pool/x is on /data, a filesystem of the group that would be frozen',
    );
  });

  it('a pool on another filesystem is fine', async () => {
    const h = harness({
      platform: {
        mountinfo: () =>
          [
            '60 27 0:51 /@data /data rw - btrfs /dev/vdb rw',
            '62 27 0:53 / /var/pool rw - btrfs /dev/vdz rw',
          ].join('\n'),
        devOfNode: (node) => ({ '/dev/vdb': '254:16', '/dev/vdz': '254:99' })[node],
      },
    });
    h.engine.writes = ['/var/pool/x'];
    const plan = await validate(h.deps, params());
    expect(plan.freeze?.freeze.map((f) => f.mountPoint)).toEqual(['/data']);
  });
});
