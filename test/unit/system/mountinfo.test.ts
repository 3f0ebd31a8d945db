import { describe, expect, it } from 'vitest';
import { diskDevOf, mountOf, parseMountinfo } from '../../../src/system/mountinfo.js';

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

describe('diskDevOf: the device a mount lives on', () => {
  const [ext4, btrfs] = parseMountinfo(
    [
      '60 27 7:1 / /data rw - ext4 /dev/loop1 rw',
      '61 27 0:52 /@home /home rw - btrfs /dev/vdc2 rw',
    ].join('\n'),
  );
  const asked: string[] = [];
  const devOfNode = (node: string) => (asked.push(node), node === '/dev/vdc2' ? '254:34' : '7:9');

  it("btrfs: its source device's number (mountinfo's 0:N is per subvolume)", () => {
    expect(diskDevOf(btrfs!, devOfNode)).toBe('254:34');
    expect(diskDevOf(btrfs!, () => undefined)).toBe('0:52'); // a source that names no device
  });

  it('anything else: its own number, even when the source now names another device', () => {
    asked.length = 0;
    expect(diskDevOf(ext4!, devOfNode)).toBe('7:1');
    expect(asked).toEqual([]);
  });
});
