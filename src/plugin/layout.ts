import type { GroupLayout } from '../apps/types.js';
import { diskDevOf, mountOf, parseMountinfo } from '../system/mountinfo.js';
import type { Platform } from './deps.js';
import type { RunPlan } from './validate.js';

/** Which paths live on the group's disks (by the filesystem that holds them). */
export function groupLayout(platform: Platform, plan: Pick<RunPlan, 'disks'>): GroupLayout {
  const mounts = parseMountinfo(platform.mountinfo());
  const devs = new Set(
    plan.disks.filter((d) => d.device).flatMap((d) => [...platform.stackedDevs(d.device!)]),
  );
  return {
    inGroup(path) {
      const m = mountOf(mounts, path);
      return m !== undefined && devs.has(diskDevOf(m, (node) => platform.devOfNode(node)));
    },
  };
}
