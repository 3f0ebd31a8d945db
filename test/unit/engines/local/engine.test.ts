import { constants, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LocalEngine } from '../../../../src/engines/local/engine.js';
import { Pool } from '../../../../src/engines/local/pool.js';
import { SysBlock } from '../../../../src/system/blockdev.js';
import { systemRunner } from '../../../../src/system/runner.js';
import { describeEngineContract } from '../../../contract/engine-contract.js';
import { copyPool } from '../../../support/pool.js';
import { tmp } from '../../../support/tmp.js';

const engineIn = (poolDir: string) => new LocalEngine({ poolDir, runner: systemRunner });

describeEngineContract('local (copy-mode pool)', () => engineIn(copyPool(tmp())));

describe('local engine', () => {
  const req = (diskIds: string[]) => ({
    name: 'g',
    description: '',
    diskIds,
    instantAccess: true,
    instantAccessRetentionDays: 2,
    clientToken: `${Math.random()}`,
  });

  it('writes into its pool while frozen (createGroup clones there): it says so', () => {
    expect(engineIn('/var/lib/asp/pool').writesWhileFrozen()).toEqual(['/var/lib/asp/pool']);
  });

  it('clones each image into the group and records metadata', async () => {
    const dir = copyPool(tmp());
    const e = engineIn(dir);
    const g = await e.createGroup(req(['d-unit0', 'd-unit1']));
    const s0 = g.snapshots.find((s) => s.diskId === 'd-unit0')!;
    expect(readFileSync(join(dir, 'groups', g.id, `${s0.id}.img`), 'utf8')).toBe('disk 0 contents');
    const record = () => JSON.parse(readFileSync(join(dir, 'groups', g.id, 'group.json'), 'utf8'));
    // Until the run's afterWindow (after the thaw), the record on disk is the one written
    // before the clones: progressing, owned by this process. The answer is already final.
    expect(g.status).toBe('accomplished');
    expect(record()).toMatchObject({ status: 'progressing', ownerPid: process.pid });
    await e.afterWindow();
    const stored = record();
    expect(stored).toMatchObject({
      id: g.id,
      status: 'accomplished',
      instantAccess: true,
      instantAccessRetentionDays: 2,
    });
    expect(stored.ownerPid).toBeUndefined();
  });

  it("writes a group's final record before any call that reads the pool, without afterWindow", async () => {
    const dir = copyPool(tmp());
    const e = engineIn(dir);
    const g = await e.createGroup(req(['d-unit0']));
    expect((await e.describeGroup(g.id)).status).toBe('accomplished');
    expect(JSON.parse(readFileSync(join(dir, 'groups', g.id, 'group.json'), 'utf8'))).toMatchObject(
      {
        status: 'accomplished',
      },
    );
    // Another process's view: the same.
    expect((await engineIn(dir).describeGroup(g.id)).status).toBe('accomplished');
  });

  it('clones through its clone (the ioctl in the shipped executable), validate probing the same way', async () => {
    const dir = copyPool(tmp());
    const pool = new Pool(dir);
    pool.writeConfig({ ...pool.readConfig(), allowFullCopy: false });
    const cloned: string[] = [];
    const e = new LocalEngine({
      poolDir: dir,
      runner: systemRunner,
      clone: async (src, dst) => {
        cloned.push(src.slice(dir.length + 1));
        writeFileSync(dst, readFileSync(src));
      },
    });
    await e.validate();
    expect(cloned).toEqual([expect.stringMatching(/^\.clone-probe-\d+$/)]);
    const g = await e.createGroup(req(['d-unit1']));
    expect(cloned.slice(1)).toEqual([pool.readConfig().disks[1]!.image]);
    const s1 = g.snapshots[0]!;
    expect(readFileSync(join(dir, 'groups', g.id, `${s1.id}.img`), 'utf8')).toBe('disk 1 contents');
  });

  it('inside the window reads nothing warmUp has read: the pool configuration is read before it', async () => {
    const dir = copyPool(tmp());
    const e = engineIn(dir);
    await e.warmUp();
    const config = readFileSync(join(dir, 'pool.json'));
    rmSync(join(dir, 'pool.json'));
    const g = await e.createGroup(req(['d-unit0']));
    await e.afterWindow();
    expect(new Pool(dir).readGroup(g.id)?.status).toBe('accomplished');
    // Once: the next group call reads it again (another run, another warm-up).
    await expect(e.createGroup(req(['d-unit0']))).rejects.toThrow(/no local pool/);
    writeFileSync(join(dir, 'pool.json'), config);
    // The owner's start time was read by warmUp too: a busy check can tell it from pid reuse.
    await e.warmUp();
    const next = await e.createGroup(req(['d-unit0']));
    expect(
      JSON.parse(readFileSync(join(dir, 'groups', next.id, 'group.json'), 'utf8')),
    ).toMatchObject({ ownerPid: process.pid, ownerStart: expect.stringMatching(/^\d+$/) });
  });

  it('lists groups oldest first, whatever order the directory gives them in', async () => {
    const dir = copyPool(tmp());
    const pool = new Pool(dir);
    // Ids against time, written newest first: neither the names nor the writes give the order.
    const times = [
      '2026-12-07T10:00:00.000Z',
      '2026-01-31T23:59:59.999Z',
      '2026-12-07T09:59:59.000Z',
    ];
    const ids = ['ssg-a', 'ssg-m', 'ssg-z'];
    for (const [i, id] of ids.entries())
      pool.writeGroup({
        id,
        name: id,
        description: '',
        status: 'accomplished',
        createdAt: times[i]!,
        clientToken: id,
        instantAccess: false,
        instantAccessRetentionDays: 1,
        snapshots: [],
      });
    expect((await engineIn(dir).listGroups()).map((g) => g.id)).toEqual([
      'ssg-m',
      'ssg-z',
      'ssg-a',
    ]);
  });

  it('enforces the per-disk quota with exit 14', async () => {
    const e = engineIn(copyPool(tmp(), 1, 1));
    await e.createGroup(req(['d-unit0']));
    await expect(e.createGroup(req(['d-unit0']))).rejects.toMatchObject({ exitCode: 14 });
  });

  it('after warmUp, counts what others made and forgets what they deleted (quota 2)', async () => {
    const dir = copyPool(tmp(), 1, 2);
    const e = engineIn(dir);
    const other = engineIn(dir);
    const first = await other.createGroup(req(['d-unit0']));
    await other.afterWindow();
    await e.warmUp();
    // Made by another process after warmUp: read inside the window all the same.
    const secondReq = req(['d-unit0']);
    const second = await other.createGroup(secondReq);
    await other.afterWindow();
    await expect(e.createGroup(req(['d-unit0']))).rejects.toMatchObject({ exitCode: 14 });
    await other.deleteGroup(first.id);
    const third = await e.createGroup(req(['d-unit0']));
    expect((await e.listGroups()).map((g) => g.id).sort()).toEqual([second.id, third.id].sort());
    // A retried request finds its group as it is now, not as it was first read.
    await other.tagSnapshots([second.snapshots[0]!.id], { Late: 'yes' });
    const again = await e.createGroup(secondReq);
    expect([again.id, again.snapshots[0]!.tags]).toEqual([second.id, { Late: 'yes' }]);
  });

  it('refuses a group on disks another live process is snapshotting (16), recovers a dead one', async () => {
    const dir = copyPool(tmp());
    const pool = new Pool(dir);
    const busy = {
      id: 'ssg-busy',
      name: 'x',
      description: '',
      status: 'progressing' as const,
      createdAt: new Date().toISOString(),
      clientToken: 't',
      instantAccess: false,
      instantAccessRetentionDays: 1,
      snapshots: [
        {
          id: 's-busy',
          diskId: 'd-unit0',
          status: 'progressing' as const,
          progress: 0,
          sizeBytes: 1,
          tags: {},
          createdAt: '',
        },
      ],
      ownerPid: process.pid,
    };
    pool.writeGroup(busy);
    const e = engineIn(dir);
    await expect(e.createGroup(req(['d-unit0']))).rejects.toMatchObject({ exitCode: 16 });
    pool.writeGroup({ ...busy, ownerPid: 999_999_999 });
    await e.createGroup(req(['d-unit0']));
    expect(pool.readGroup('ssg-busy')?.status).toBe('failed');
  });

  it('refuses a pool that cannot clone unless full copies are allowed', async () => {
    const dir = copyPool(tmp());
    const pool = new Pool(dir);
    pool.writeConfig({ ...pool.readConfig(), allowFullCopy: false });
    const canClone = await copyFile(
      join(dir, 'pool.json'),
      join(dir, 'probe'),
      constants.COPYFILE_FICLONE_FORCE,
    ).then(
      () => true,
      () => false,
    );
    const err = await engineIn(dir)
      .validate()
      .catch((e: unknown) => e);
    // On a filesystem without reflink (ext4, tmpfs) validate refuses before anything is frozen.
    if (canClone) expect(err).toBeUndefined();
    else expect(err).toMatchObject({ exitCode: 1, message: expect.stringMatching(/cannot clone/) });
  });

  it('fails a group cleanly when a clone fails (exit 4) and marks it failed', async () => {
    const dir = copyPool(tmp());
    rmSync(new Pool(dir).imagePath(new Pool(dir).readConfig().disks[0]!)); // the clone's source
    await expect(engineIn(dir).createGroup(req(['d-unit0']))).rejects.toMatchObject({
      exitCode: 4,
    });
    expect(new Pool(dir).groups()[0]?.status).toBe('failed');
  });

  it('reports a missing pool as a condition failure with the fix', async () => {
    await expect(engineIn(join(tmp(), 'none')).describeDisks()).rejects.toThrow(/lab up/);
  });

  it('refuses to roll back a disk with a filesystem mounted from it, btrfs (whose mountinfo device is anonymous) included', async () => {
    const dir = copyPool(tmp(), 1);
    const image = realpathSync(join(dir, 'disks', 'd-unit0.img'));
    // A /sys where loop7 is backed by the disk's image.
    const sys = join(tmp(), 'sys');
    mkdirSync(join(sys, 'block/loop7/loop'), { recursive: true });
    writeFileSync(join(sys, 'block/loop7/loop/backing_file'), `${image}\n`);
    mkdirSync(join(sys, 'class/block/loop7'), { recursive: true });
    writeFileSync(join(sys, 'class/block/loop7/dev'), '7:7\n');
    // Rollback flushes the device's buffers: recorded here, never run on this machine's loop7.
    const ran: string[] = [];
    const runner = {
      ...systemRunner,
      run: async (file: string, args: readonly string[]) => {
        ran.push([file, ...args].join(' '));
        return { exitCode: 0, stdout: '', stderr: '', timedOut: false };
      },
    };
    const on = (line: string) =>
      new LocalEngine({ poolDir: dir, runner, sys: new SysBlock(sys), mountinfo: () => line });
    const maker = on('');
    const g = await maker.createGroup(req(['d-unit0']));
    await maker.afterWindow();
    const ext4 = '40 1 7:7 / /srv/data rw,relatime - ext4 /dev/loop7 rw';
    const btrfs =
      '41 1 0:51 /@data /srv/b rw,relatime - btrfs /dev/loop7 rw,subvolid=256,subvol=/@data';
    for (const line of [ext4, btrfs]) {
      await expect(on(line).rollbackGroup(g.id)).rejects.toMatchObject({
        exitCode: 1,
        message: expect.stringMatching(
          /is mounted at \/srv\/(data|b): unmount it before rolling back/,
        ),
      });
    }
    expect(ran).toEqual([]);
    await on('42 1 0:52 / /srv/other rw - btrfs /dev/loop8 rw').rollbackGroup(g.id);
    expect(ran).toEqual(['blockdev --flushbufs /dev/loop7']);
  });

  it('rolls back image bytes to the snapshot', async () => {
    const dir = copyPool(tmp(), 1);
    const e = engineIn(dir);
    const g = await e.createGroup(req(['d-unit0']));
    writeFileSync(join(dir, 'disks', 'd-unit0.img'), 'changed later');
    await e.rollbackGroup(g.id);
    expect(readFileSync(join(dir, 'disks', 'd-unit0.img'), 'utf8')).toBe('disk 0 contents');
  });
});
