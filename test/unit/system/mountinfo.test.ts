import { describe, expect, it } from 'vitest';
import { mountOf, parseMountinfo } from '../../../src/system/mountinfo.js';

export const SAMPLE = [
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '22 27 0:21 / /proc rw,relatime - proc proc rw',
  '60 27 7:1 / /data rw,relatime - xfs /dev/loop1 rw',
  '61 60 7:2 / /data/sub\\040dir rw,relatime - ext4 /dev/loop2 rw',
  '62 27 7:2 /inner /srv/bind rw,relatime - ext4 /dev/loop2 rw',
].join('\n');

describe('parseMountinfo', () => {
  it('reads fields, unescapes octal, keeps mount order', () => {
    const m = parseMountinfo(SAMPLE);
    expect(m).toHaveLength(5);
    expect(m[3]).toMatchObject({
      dev: '7:2',
      root: '/',
      mountPoint: '/data/sub dir',
      fsType: 'ext4',
      source: '/dev/loop2',
      index: 3,
    });
    expect(m[4]!.root).toBe('/inner');
  });
  it('finds the mount holding a path', () => {
    const m = parseMountinfo(SAMPLE);
    expect(mountOf(m, '/data/sub dir/x')?.mountPoint).toBe('/data/sub dir');
    expect(mountOf(m, '/data/subx')?.mountPoint).toBe('/data');
    expect(mountOf(m, '/etc/passwd')?.mountPoint).toBe('/');
  });
});
