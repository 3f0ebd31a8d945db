import { describe, expect, it } from 'vitest';
import { groupLayout } from '../../../src/plugin/layout.js';
import { deviceNodesOnly, fakePlatform, memoryDisks } from '../../support/fakes.js';

const MOUNTS = [
  '27 1 254:0 / / rw - ext4 /dev/vda rw',
  '60 27 254:16 / /data rw - xfs /dev/vdb rw',
  '61 27 0:51 /@logs /logs rw - btrfs /dev/vdc rw',
  '62 27 0:52 / /srv rw - btrfs /dev/vdz rw',
].join('\n');

describe('groupLayout: which paths live on the group’s disks', () => {
  const platform = fakePlatform({
    mountinfo: () => MOUNTS,
    devOfNode: (n) => ({ '/dev/vdc': '254:32', '/dev/vdz': '254:99' })[n],
  });

  it('by the filesystem holding the path; btrfs by its source device', () => {
    const layout = groupLayout(platform, { disks: memoryDisks(2) });
    expect(layout.inGroup('/data/mysql/ibdata1')).toBe(true);
    expect(layout.inGroup('/logs/binlog.000001')).toBe(true);
    expect(layout.inGroup('/srv/db')).toBe(false);
    expect(layout.inGroup('/var/lib/mysql')).toBe(false); // on the system disk
  });

  it('only the plan’s disks count, and a disk without a device node counts for nothing', () => {
    const [data, logs] = memoryDisks(2);
    expect(groupLayout(platform, { disks: [logs!] }).inGroup('/data/x')).toBe(false);
    const noDevice = { ...data!, device: undefined };
    // sysfs is asked only about device nodes (SysBlock would fail on none)
    const strict = deviceNodesOnly(platform);
    expect(groupLayout(strict, { disks: [noDevice] }).inGroup('/data/x')).toBe(false);
  });

  it('a path no mount holds is not in the group', () => {
    const layout = groupLayout(fakePlatform({ mountinfo: () => MOUNTS.split('\n')[1]! }), {
      disks: memoryDisks(1),
    });
    expect(layout.inGroup('relative/path')).toBe(false);
  });
});
