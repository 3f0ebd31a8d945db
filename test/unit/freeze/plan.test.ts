import { describe, expect, it } from 'vitest';
import { freezeWaves, planFreeze } from '../../../src/freeze/plan.js';
import { parseMountinfo } from '../../../src/system/mountinfo.js';

const mounts = parseMountinfo(
  [
    '27 1 254:0 / / rw - ext4 /dev/vda rw',
    '60 27 7:1 / /data rw - xfs /dev/loop1 rw',
    '61 60 7:17 / /data/logs rw - ext4 /dev/loop1p1 rw',
    '62 27 7:1 / /data-again rw - xfs /dev/loop1 rw',
    '63 27 7:17 /sub /bind rw - ext4 /dev/loop1p1 rw',
    '64 27 7:2 / /fat rw - vfat /dev/loop2 rw',
    '65 27 7:3 / /ro ro - ext4 /dev/loop3 ro',
    '66 27 0:44 / /btr rw - btrfs /dev/loop4 rw',
    '67 27 0:30 / /tmp rw - tmpfs tmpfs rw',
  ].join('\n'),
);
const disks = [
  { diskId: 'd-1', devs: new Set(['7:1', '7:17']) },
  { diskId: 'd-2', devs: new Set(['7:2']) },
  { diskId: 'd-3', devs: new Set(['7:3']) },
  { diskId: 'd-4', devs: new Set(['7:4']) },
];

describe('planFreeze', () => {
  const plan = planFreeze(mounts, disks, (src) => (src === '/dev/loop4' ? '7:4' : undefined));

  it('freezes each group filesystem once, children before parents (reverse mount order)', () => {
    expect(plan.freeze.map((f) => f.mountPoint)).toEqual(['/btr', '/data/logs', '/data']);
  });
  it('freezes independent filesystems in one parallel wave, a parent after its children', () => {
    expect(plan.waves).toEqual([['/btr', '/data/logs'], ['/data']]);
  });
  it('freezes a filesystem whose loop image lives on another one first', () => {
    const order = [
      { mountPoint: '/a', dev: '7:9', fsType: 'ext4', diskIds: [] },
      { mountPoint: '/pool', dev: '7:8', fsType: 'xfs', diskIds: [] },
    ];
    expect(freezeWaves(order, (dev) => (dev === '7:9' ? '/pool/a.img' : undefined))).toEqual([
      ['/a'],
      ['/pool'],
    ]);
    expect(freezeWaves(order, () => undefined)).toEqual([['/a', '/pool']]);
  });
  it('never touches filesystems outside the group', () => {
    expect(plan.freeze.some((f) => f.mountPoint === '/' || f.mountPoint === '/tmp')).toBe(false);
  });
  it('skips second mounts, bind mounts, unfreezable types and read-only filesystems, saying why', () => {
    const why = Object.fromEntries(plan.skipped.map((s) => [s.mountPoint, s.reason]));
    expect(why['/data-again']).toMatch(/same filesystem as \/data/);
    expect(why['/bind']).toMatch(/same filesystem as \/data\/logs/);
    expect(why['/fat']).toMatch(/vfat is not freezable/);
    expect(why['/ro']).toMatch(/read-only/);
  });
  it('marks disks with a writable unfreezable filesystem as uncovered', () => {
    expect(plan.uncoveredDisks).toEqual(['d-2']);
  });
});

// Real layouts, as /proc/self/mountinfo shows them (trimmed to the lines that matter).
const freezeOf = (
  text: string,
  d: { diskId: string; devs: Set<string> }[],
  devOf = (_: string): string | undefined => undefined,
) => planFreeze(parseMountinfo(text), d, devOf);

describe('planFreeze on real distributions', () => {
  it('Fedora: btrfs mounted only by subvolume is frozen once, through a subvolume', () => {
    const plan = freezeOf(
      [
        '22 1 0:21 /root / rw,relatime shared:1 - btrfs /dev/vda3 rw,seclabel,compress=zstd:1,ssd,discard=async,space_cache=v2,subvolid=257,subvol=/root',
        '60 22 252:2 / /boot rw,relatime shared:30 - ext4 /dev/vda2 rw,seclabel',
        '62 60 252:1 / /boot/efi rw,relatime shared:31 - vfat /dev/vda1 rw,fmask=0077,dmask=0077',
        '64 22 0:21 /home /home rw,relatime shared:32 - btrfs /dev/vda3 rw,seclabel,compress=zstd:1,ssd,discard=async,space_cache=v2,subvolid=256,subvol=/home',
        '70 22 0:45 /data /srv/db rw,relatime shared:40 - btrfs /dev/vdb rw,ssd,space_cache=v2,subvolid=258,subvol=/data',
      ].join('\n'),
      [{ diskId: 'd-data', devs: new Set(['252:16']) }],
      (src) => (src === '/dev/vdb' ? '252:16' : src === '/dev/vda3' ? '252:3' : undefined),
    );
    expect(plan.freeze).toEqual([
      { mountPoint: '/srv/db', dev: '252:16', fsType: 'btrfs', diskIds: ['d-data'] },
    ]);
    expect(plan.uncoveredDisks).toEqual([]);
  });
  it('Fedora system disk: root and /home subvolumes are one filesystem, frozen once; vfat leaves the disk uncovered', () => {
    const plan = freezeOf(
      [
        '22 1 0:21 /root / rw,relatime shared:1 - btrfs /dev/vda3 rw,subvolid=257,subvol=/root',
        '60 22 252:2 / /boot rw,relatime shared:30 - ext4 /dev/vda2 rw,seclabel',
        '62 60 252:1 / /boot/efi rw,relatime shared:31 - vfat /dev/vda1 rw,fmask=0077',
        '64 22 0:21 /home /home rw,relatime shared:32 - btrfs /dev/vda3 rw,subvolid=256,subvol=/home',
      ].join('\n'),
      [{ diskId: 'd-sys', devs: new Set(['252:0', '252:1', '252:2', '252:3']) }],
      (src) => (src === '/dev/vda3' ? '252:3' : undefined),
    );
    expect(plan.freeze.map((f) => f.mountPoint)).toEqual(['/boot', '/']);
    expect(plan.skipped.find((s) => s.mountPoint === '/home')?.reason).toBe('same filesystem as /');
    expect(plan.uncoveredDisks).toEqual(['d-sys']);
  });
  it('Ubuntu: ext4 root plus a vfat /boot/efi: the root is frozen, the disk is uncovered', () => {
    const plan = freezeOf(
      [
        '26 1 252:1 / / rw,relatime shared:1 - ext4 /dev/root rw,discard,errors=remount-ro',
        '27 26 0:25 / /run rw,nosuid,nodev,noexec,relatime shared:11 - tmpfs tmpfs rw,size=401592k,mode=755',
        '31 26 252:15 / /boot/efi rw,relatime shared:20 - vfat /dev/vda15 rw,fmask=0077,dmask=0077,codepage=437',
        '40 26 7:0 / /snap/core20/2015 ro,nodev,relatime shared:22 - squashfs /dev/loop0 ro,errors=continue',
      ].join('\n'),
      [{ diskId: 'd-sys', devs: new Set(['252:0', '252:1', '252:15']) }],
    );
    expect(plan.freeze.map((f) => f.mountPoint)).toEqual(['/']);
    expect(plan.uncoveredDisks).toEqual(['d-sys']);
  });
  it('RHEL: xfs on LVM (dm-N holders of the disk) is frozen through its logical volumes', () => {
    const plan = freezeOf(
      [
        '60 1 253:0 / / rw,relatime shared:1 - xfs /dev/mapper/rhel-root rw,seclabel,attr2,inode64,logbufs=8,logbsize=32k,noquota',
        '70 60 252:1 / /boot rw,relatime shared:30 - xfs /dev/vda1 rw,seclabel',
        '80 60 253:2 / /var/lib/pgsql rw,relatime shared:40 - xfs /dev/mapper/datavg-pg rw,seclabel,attr2,inode64',
        '81 60 253:3 / /var/lib/pgsql/wal rw,relatime shared:41 - xfs /dev/mapper/datavg-wal rw,seclabel,attr2,inode64',
      ].join('\n'),
      [{ diskId: 'd-data', devs: new Set(['252:16', '253:2', '253:3']) }],
    );
    expect(plan.waves).toEqual([['/var/lib/pgsql/wal'], ['/var/lib/pgsql']]);
    expect(plan.uncoveredDisks).toEqual([]);
  });
  it('container host: a filesystem reachable only through bind mounts of subdirectories is frozen through one', () => {
    const plan = freezeOf(
      [
        '26 1 252:1 / / rw,relatime shared:1 - ext4 /dev/vda1 rw',
        '90 26 0:50 / /var/lib/docker/overlay2/abc/merged rw,relatime - overlay overlay rw,lowerdir=/var/lib/docker/overlay2/l/X,upperdir=/var/lib/docker/overlay2/abc/diff',
        '91 26 252:16 /volumes/pg /var/lib/kubelet/pods/p1/volumes/pg ro,relatime - ext4 /dev/vdb rw',
        '92 26 252:16 /volumes/redis /var/lib/kubelet/pods/p2/volumes/redis rw,relatime - ext4 /dev/vdb rw',
      ].join('\n'),
      [{ diskId: 'd-vol', devs: new Set(['252:16']) }],
    );
    // The writable bind mount is preferred; the read-only one shows the same filesystem.
    expect(plan.freeze.map((f) => f.mountPoint)).toEqual([
      '/var/lib/kubelet/pods/p2/volumes/redis',
    ]);
    expect(plan.uncoveredDisks).toEqual([]);
  });
  it('podman host: a container root (overlay) is never frozen nor counted as frozen; it is listed with the frozen filesystem its writes go to', () => {
    const storage = '/var/lib/containers/storage/overlay';
    const plan = freezeOf(
      [
        '26 1 252:1 / / rw,relatime - ext4 /dev/vda rw',
        '40 26 252:16 / /data rw,relatime - xfs /dev/vdb rw',
        `90 26 0:50 / ${storage}/abc/merged rw,relatime - overlay overlay rw,lowerdir=${storage}/l/X,upperdir=${storage}/abc/diff,workdir=${storage}/abc/work`,
        // Upper directory on the data disk (storage moved there), and one on a disk outside the group.
        `91 26 0:51 / /data/ctr/merged rw,relatime - overlay overlay rw,lowerdir=/data/l/Y,upperdir=/data/ctr/diff,workdir=/data/ctr/work`,
        '50 26 252:48 / /scratch rw,relatime - ext4 /dev/vdd rw',
        `92 26 0:52 / /scratch/ctr/merged rw,relatime - overlay overlay rw,lowerdir=/scratch/l/Z,upperdir=/scratch/ctr/diff,workdir=/scratch/ctr/work`,
        // A read-only overlay (no upper directory) writes nothing.
        '93 26 0:53 / /ro-root ro,relatime - overlay overlay ro,lowerdir=/a:/b',
      ].join('\n'),
      [
        { diskId: 'd-sys', devs: new Set(['252:1']) },
        { diskId: 'd-data', devs: new Set(['252:16']) },
      ],
    );
    expect(plan.freeze.map((f) => f.mountPoint)).toEqual(['/data', '/']);
    expect(plan.freeze.map((f) => f.fsType)).not.toContain('overlay');
    expect(plan.uncoveredDisks).toEqual([]);
    expect(plan.skipped).toEqual([
      {
        mountPoint: `${storage}/abc/merged`,
        fsType: 'overlay',
        reason: `overlayfs is not frozen itself: its writes go to ${storage}/abc/diff, on /, which is frozen`,
      },
      {
        mountPoint: '/data/ctr/merged',
        fsType: 'overlay',
        reason:
          'overlayfs is not frozen itself: its writes go to /data/ctr/diff, on /data, which is frozen',
      },
    ]);
  });
  it('an overlay whose upper directory is on a group disk that cannot be frozen says so, and the disk stays uncovered', () => {
    const plan = freezeOf(
      [
        '26 1 252:1 / / rw,relatime - ext4 /dev/vda rw',
        '40 26 252:16 / /data rw,relatime - f2fs /dev/vdb rw',
        '91 26 0:51 / /c/merged rw,relatime - overlay overlay rw,lowerdir=/data/l,upperdir=/data/up\\,per,workdir=/data/w',
      ].join('\n'),
      [{ diskId: 'd-data', devs: new Set(['252:16']) }],
    );
    expect(plan.freeze).toEqual([]);
    expect(plan.uncoveredDisks).toEqual(['d-data']);
    expect(plan.skipped.at(-1)).toEqual({
      mountPoint: '/c/merged',
      fsType: 'overlay',
      reason:
        'overlayfs is not frozen itself: its writes go to /data/up,per, on a filesystem that is not frozen either',
    });
  });
  it('a read-only mount of a writable filesystem still needs the freeze (the superblock is rw)', () => {
    const plan = freezeOf('26 1 252:16 / /data ro,relatime - ext4 /dev/vdb rw', [
      { diskId: 'd-1', devs: new Set(['252:16']) },
    ]);
    expect(plan.freeze.map((f) => f.mountPoint)).toEqual(['/data']);
  });
  it('a writable filesystem hidden under another mount cannot be frozen: its disk is uncovered', () => {
    const plan = freezeOf(
      [
        '26 1 252:1 / / rw,relatime - ext4 /dev/vda1 rw',
        '40 26 252:16 / /data rw,relatime - ext4 /dev/vdb rw',
        '41 40 0:60 / /data rw,relatime - tmpfs tmpfs rw',
        '50 26 252:32 / /srv/x/y rw,relatime - xfs /dev/vdc rw',
        '51 26 0:61 / /srv rw,relatime - tmpfs tmpfs rw',
      ].join('\n'),
      [
        { diskId: 'd-1', devs: new Set(['252:16']) },
        { diskId: 'd-2', devs: new Set(['252:32']) },
      ],
    );
    expect(plan.freeze).toEqual([]);
    expect(plan.uncoveredDisks.sort()).toEqual(['d-1', 'd-2']);
    expect(plan.skipped.map((s) => s.reason)).toEqual([
      expect.stringMatching(/hidden under another mount/),
      expect.stringMatching(/hidden under another mount/),
    ]);
  });
});

describe('freeze order and mount choice, at the edges', () => {
  it('a group filesystem mounted at / goes after everything mounted under it', () => {
    const order = [
      { mountPoint: '/srv/data', dev: '7:1', fsType: 'xfs', diskIds: [] },
      { mountPoint: '/', dev: '254:0', fsType: 'ext4', diskIds: [] },
    ];
    expect(freezeWaves(order, () => undefined)).toEqual([['/srv/data'], ['/']]);
    // A sibling whose name only starts like the other's is not inside it.
    const siblings = [
      { mountPoint: '/data2', dev: '7:2', fsType: 'xfs', diskIds: [] },
      { mountPoint: '/data', dev: '7:1', fsType: 'xfs', diskIds: [] },
    ];
    expect(freezeWaves(siblings, () => undefined)).toEqual([['/data2', '/data']]);
  });

  it('freezes through the root mount of a filesystem, else its first writable mount, in mountinfo order', () => {
    const m = parseMountinfo(
      [
        '27 1 254:0 / / rw - ext4 /dev/vda rw',
        '70 27 7:5 /sub /b1 ro - ext4 /dev/loop5 rw',
        '71 27 7:5 /sub /b2 rw - ext4 /dev/loop5 rw',
        '72 27 7:5 /sub /b3 rw - ext4 /dev/loop5 rw',
        '73 27 7:6 /x /c1 rw - xfs /dev/loop6 rw',
        '74 27 7:6 / /c2 rw - xfs /dev/loop6 rw',
      ].join('\n'),
    );
    const p = planFreeze(m, [
      { diskId: 'd-5', devs: new Set(['7:5']) },
      { diskId: 'd-6', devs: new Set(['7:6']) },
    ]);
    expect(p.freeze.map((f) => f.mountPoint).sort()).toEqual(['/b2', '/c2']);
  });
});

describe('planFreeze: details that decide what is frozen', () => {
  it('the skipped list names only the other mounts of a filesystem, never the one frozen', () => {
    const plan = freezeOf(
      [
        '60 27 7:1 / /data rw - xfs /dev/loop1 rw',
        '62 27 7:1 / /again rw - xfs /dev/loop1 rw',
      ].join('\n'),
      [{ diskId: 'd-1', devs: new Set(['7:1']) }],
    );
    expect(plan.freeze.map((f) => f.mountPoint)).toEqual(['/data']);
    expect(plan.skipped.map((s) => s.mountPoint)).toEqual(['/again']);
    expect(plan.skipped[0]).toEqual({
      mountPoint: '/again',
      fsType: 'xfs',
      reason: 'same filesystem as /data',
    });
  });

  it('only btrfs asks for the device behind its source; others keep their own device number', () => {
    const everyone = () => '9:9'; // would move every filesystem elsewhere if asked
    const plan = freezeOf(
      '60 27 7:1 / /data rw - ext4 /dev/loop1 rw',
      [{ diskId: 'd-1', devs: new Set(['7:1']) }],
      everyone,
    );
    expect(plan.freeze.map((f) => f.dev)).toEqual(['7:1']);
  });

  it('of two equally good mounts (subdirectories, both writable) the first mounted is used', () => {
    const plan = freezeOf(
      [
        '70 27 7:1 /b /srv/b rw - ext4 /dev/loop1 rw',
        '71 27 7:1 /a /srv/a rw - ext4 /dev/loop1 rw',
      ].join('\n'),
      [{ diskId: 'd-1', devs: new Set(['7:1']) }],
    );
    expect(plan.freeze.map((f) => f.mountPoint)).toEqual(['/srv/b']);
  });

  it('a filesystem goes in the wave after the latest of everything that must precede it', () => {
    const fs = (mountPoint: string) => ({
      mountPoint,
      dev: mountPoint,
      fsType: 'ext4',
      diskIds: [],
    });
    // reverse mount order: /a/b/c inside /a/b inside /a, and /a/d inside /a
    const order = [fs('/a/b/c'), fs('/a/d'), fs('/a/b'), fs('/a')];
    expect(freezeWaves(order, () => undefined)).toEqual([['/a/b/c', '/a/d'], ['/a/b'], ['/a']]);
  });
});
