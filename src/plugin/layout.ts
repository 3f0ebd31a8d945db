import type { DataLocator, GroupLayout } from '../apps/types.js';
import { diskDevOf, mountOf, parseMountinfo, type MountEntry } from '../system/mountinfo.js';
import { locateServerData } from '../system/server-data.js';
import type { Platform } from './deps.js';
import type { RunPlan } from './validate.js';

/** Which paths live on the group's disks (by the filesystem that holds them). */
export function groupLayout(
  platform: Platform,
  plan: Pick<RunPlan, 'disks'>,
  procDir = '/proc',
): GroupLayout & DataLocator {
  const mounts = parseMountinfo(platform.mountinfo());
  const devs = new Set(
    plan.disks.filter((d) => d.device).flatMap((d) => [...platform.stackedDevs(d.device!)]),
  );
  const onGroupDisk = (m: MountEntry | undefined) =>
    m !== undefined && devs.has(diskDevOf(m, (node) => platform.devOfNode(node)));
  return {
    inGroup: (path) => onGroupDisk(mountOf(mounts, path)),
    place(path, processNames, hostname) {
      const d = locateServerData(path, processNames, mounts, procDir, hostname);
      return {
        path,
        container: d.container,
        inGroup: onGroupDisk(d.mount),
        ...(d.pid !== undefined ? { pid: d.pid } : {}),
        ...(d.hostPath ? { hostPath: d.hostPath } : {}),
        ...(d.mount ? { mountPoint: d.mount.mountPoint, fsType: d.mount.fsType } : {}),
        ...(d.note ? { note: d.note } : {}),
      };
    },
  };
}
