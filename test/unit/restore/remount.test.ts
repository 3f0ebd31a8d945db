// groups rollback --remount's orchestration (src/restore/remount.ts) over a fake machine: a mount
// table that umount and mount really change, processes that hold filesystems, a device still
// mounted in another namespace. The real one runs in test/integration/rollback-remount.test.ts.
import { describe, expect, it } from 'vitest';
import { rollbackRemount, type RemountDeps } from '../../../src/restore/remount.js';
import type { MountEntry } from '../../../src/system/mountinfo.js';
import type { Opener } from '../../../src/system/openers.js';
import { MemoryEngine, memoryDisks } from '../../support/fakes.js';

interface Mount {
  dev: string;
  root?: string;
  mountPoint: string;
  options?: string;
  fsType: string;
  source: string;
  superOptions?: string;
}

/** vdb (8:16, with a partition 8:17), vdc (8:32), vdd (8:48); vde is a btrfs (dev 0:51). */
function machine(mounts: Mount[], o: { openers?: Opener[]; inUse?: string[] } = {}) {
  let table = mounts.map((m) => ({ root: '/', options: 'rw,relatime', superOptions: 'rw', ...m }));
  const calls: string[] = [];
  const stacked: Record<string, string[]> = {
    '/dev/vdb': ['8:16', '8:17'],
    '/dev/vdc': ['8:32'],
    '/dev/vdd': ['8:48'],
    '/dev/vde': ['8:64'],
  };
  const nodes: Record<string, string> = { '/dev/vde': '8:64', '/dev/vdb1': '8:17' };
  const failMount = new Set<string>();
  const failUmount = new Set<string>();
  const deps: RemountDeps = {
    engine: new MemoryEngine(memoryDisks(4)),
    mountinfo: () =>
      table
        .map(
          (m, i) =>
            `${30 + i} 1 ${m.dev} ${m.root} ${m.mountPoint} ${m.options} - ${m.fsType} ${m.source} ${m.superOptions}`,
        )
        .join('\n'),
    stackedDevs: (d) => new Set(stacked[d] ?? []),
    devOf: (n) => nodes[n],
    openers: (devs) =>
      (o.openers ?? []).filter((p) => p.uses.some((u) => [...devs].some((d) => u.includes(d)))),
    umount: async (mp) => {
      calls.push(`umount ${mp}`);
      if (failUmount.has(mp)) throw new Error('target is busy');
      const i = table.findIndex((m) => m.mountPoint === mp);
      if (i < 0) throw new Error(`${mp}: not mounted`);
      table.splice(i, 1);
    },
    mount: async (m: MountEntry, options, bindFrom) => {
      calls.push(
        `mount ${bindFrom ? `--bind ${bindFrom}` : m.source} ${m.mountPoint} -o ${options}`,
      );
      if (failMount.has(options)) throw new Error(`bad option in ${options}`);
      table.push({ ...m });
      table = [...table];
    },
    unused: (device) => !(o.inUse ?? []).includes(device),
  };
  const engine = deps.engine as MemoryEngine;
  engine.groups.set('ssg-1', {
    id: 'ssg-1',
    name: 'seed',
    status: 'accomplished',
    createdAt: new Date().toISOString(),
    snapshots: ['d-1', 'd-2', 'd-4'].map((diskId, i) => ({
      id: `s-${i}`,
      diskId,
      status: 'accomplished' as const,
      progress: 100,
      sizeBytes: 1,
      tags: {},
      createdAt: '',
    })),
  } as never);
  const rolled: string[] = [];
  const original = engine.rollbackGroup.bind(engine);
  engine.rollbackGroup = async (id, opts) => {
    rolled.push(
      `${id} ${(opts?.diskIds ?? []).join(',')} mounted: ${table.map((m) => m.mountPoint).join(',')}`,
    );
    return original(id, opts);
  };
  return {
    deps,
    calls,
    rolled,
    engine,
    table: () => table.map((m) => m.mountPoint),
    failMount,
    failUmount,
  };
}

const DATA = {
  dev: '8:17',
  mountPoint: '/srv/db',
  fsType: 'xfs',
  source: '/dev/vdb1',
  superOptions: 'rw,inode64,noquota',
};
const DATA_BIND = {
  dev: '8:17',
  root: '/mysql',
  mountPoint: '/var/lib/mysql',
  fsType: 'xfs',
  source: '/dev/vdb1',
};
const LOGS = {
  dev: '8:32',
  mountPoint: '/srv/logs',
  fsType: 'ext4',
  source: '/dev/vdc',
  superOptions: 'rw,errors=remount-ro',
};
const OTHER = { dev: '8:48', mountPoint: '/srv/other', fsType: 'ext4', source: '/dev/vdd' };
const BTRFS = {
  dev: '0:51',
  root: '/@data',
  mountPoint: '/srv/b',
  fsType: 'btrfs',
  source: '/dev/vde',
  superOptions: 'rw,space_cache=v2,subvolid=256,subvol=/@data',
};

describe('groups rollback --remount', () => {
  it("unmounts the group's filesystems deepest first, rolls back with nothing mounted, mounts them again in order with their options", async () => {
    const m = machine([OTHER, DATA, DATA_BIND, LOGS, BTRFS]);
    const r = await rollbackRemount(m.deps, 'ssg-1');
    expect(m.rolled).toEqual(['ssg-1  mounted: /srv/other']);
    expect(m.calls).toEqual([
      'umount /srv/b',
      'umount /srv/logs',
      'umount /var/lib/mysql',
      'umount /srv/db',
      'mount /dev/vdb1 /srv/db -o rw,relatime,inode64,noquota',
      'mount --bind /srv/db/mysql /var/lib/mysql -o rw,relatime',
      'mount /dev/vdc /srv/logs -o rw,relatime,errors=remount-ro',
      'mount /dev/vde /srv/b -o rw,relatime,space_cache=v2,subvolid=256,subvol=/@data',
    ]);
    expect(r.remounted).toEqual(['/srv/db', '/var/lib/mysql', '/srv/logs', '/srv/b']);
    expect(r.disks.map((d) => d.diskId)).toEqual(['d-1', 'd-2', 'd-4']);
    expect(m.table().sort()).toEqual([
      '/srv/b',
      '/srv/db',
      '/srv/logs',
      '/srv/other',
      '/var/lib/mysql',
    ]);
  });

  it('only the disks asked for: --disk d-2 touches /srv/logs alone', async () => {
    const m = machine([OTHER, DATA, LOGS]);
    await rollbackRemount(m.deps, 'ssg-1', ['d-2']);
    expect(m.calls).toEqual([
      'umount /srv/logs',
      'mount /dev/vdc /srv/logs -o rw,relatime,errors=remount-ro',
    ]);
    expect(m.rolled).toEqual(['ssg-1 d-2 mounted: /srv/other,/srv/db']);
  });

  it('a process holding a filesystem open: exit 18 naming it and how, and nothing changed', async () => {
    const holder: Opener = {
      pid: 4242,
      command: 'mariadbd',
      uses: ['cwd /srv/db', 'fd 7 /srv/db/ibdata1 (8:17)'],
    };
    const m = machine([DATA, LOGS], { openers: [holder] });
    const e = await rollbackRemount(m.deps, 'ssg-1').catch((x: unknown) => x);
    expect(e).toMatchObject({ exitCode: 18, kind: 'FilesystemBusy' });
    expect((e as Error).message).toMatch(
      /\/srv\/db, \/srv\/logs in use by process 4242 \(mariadbd: cwd \/srv\/db, fd 7 \/srv\/db\/ibdata1/,
    );
    expect((e as Error).message).toContain('nothing was changed');
    expect(m.calls).toEqual([]);
    expect(m.rolled).toEqual([]);
  });

  it('still mounted in another mount namespace (a container): mounted back as it was, exit 18, not rolled back', async () => {
    const m = machine([DATA, LOGS], { inUse: ['/dev/vdc'] });
    const e = await rollbackRemount(m.deps, 'ssg-1').catch((x: unknown) => x);
    expect(e).toMatchObject({ exitCode: 18 });
    expect((e as Error).message).toMatch(
      /\/dev\/vdc is still mounted where this agent cannot unmount it/,
    );
    expect(m.rolled).toEqual([]);
    expect(m.table()).toEqual(['/srv/db', '/srv/logs']);
  });

  it('an unmount that fails half-way: what was unmounted is mounted again, exit 18, not rolled back', async () => {
    const m = machine([DATA, LOGS]);
    m.failUmount.add('/srv/db');
    const e = await rollbackRemount(m.deps, 'ssg-1').catch((x: unknown) => x);
    expect(e).toMatchObject({ exitCode: 18, message: 'cannot unmount /srv/db: target is busy' });
    expect(m.rolled).toEqual([]);
    expect(m.calls.at(-1)).toBe('mount /dev/vdc /srv/logs -o rw,relatime,errors=remount-ro');
    expect(m.table().sort()).toEqual(['/srv/db', '/srv/logs']);
  });

  it("the engine's rollback failing: everything mounted again, and its error is the answer", async () => {
    const m = machine([DATA, LOGS]);
    m.engine.rollbackGroup = async () => {
      throw new Error('clone failed');
    };
    await expect(rollbackRemount(m.deps, 'ssg-1')).rejects.toThrow('clone failed');
    expect(m.table().sort()).toEqual(['/srv/db', '/srv/logs']);
  });

  it("options the tool refuses from the superblock: mounted with the mount's own; none at all: rolled back, not mounted, said (exit 1)", async () => {
    const m = machine([DATA]);
    m.failMount.add('rw,relatime,inode64,noquota');
    await rollbackRemount(m.deps, 'ssg-1');
    expect(m.calls.slice(-1)).toEqual(['mount /dev/vdb1 /srv/db -o rw,relatime']);
    expect(m.table()).toEqual(['/srv/db']);
    const n = machine([DATA]);
    n.failMount.add('rw,relatime,inode64,noquota').add('rw,relatime');
    const e = await rollbackRemount(n.deps, 'ssg-1').catch((x: unknown) => x);
    expect(e).toMatchObject({ exitCode: 1 });
    expect((e as Error).message).toMatch(
      /^rolled back, but not mounted again: \/srv\/db: bad option/,
    );
    expect(n.rolled).toHaveLength(1);
  });

  it('nothing mounted: a plain rollback, nothing to mount again', async () => {
    const m = machine([OTHER]);
    const r = await rollbackRemount(m.deps, 'ssg-1');
    expect(m.calls).toEqual([]);
    expect(r.remounted).toEqual([]);
    expect(m.rolled).toHaveLength(1);
  });
});
