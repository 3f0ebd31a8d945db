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
  it('skips second mounts, bind mounts, unfreezable types and read-only mounts, saying why', () => {
    const why = Object.fromEntries(plan.skipped.map((s) => [s.mountPoint, s.reason]));
    expect(why['/data-again']).toMatch(/same filesystem as \/data/);
    expect(why['/bind']).toMatch(/same filesystem|bind mount/);
    expect(why['/fat']).toMatch(/vfat is not freezable/);
    expect(why['/ro']).toMatch(/read-only/);
  });
  it('marks disks with a writable unfreezable filesystem as uncovered', () => {
    expect(plan.uncoveredDisks).toEqual(['d-2']);
  });
});
