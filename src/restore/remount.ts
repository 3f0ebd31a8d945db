// `groups rollback ID --remount`: put a group's disks back while their filesystems are mounted
// (a CI job's seeded database, between two test suites). It stops nothing it did not start:
// when a process holds one of the filesystems open, it names them (as fuser would) and changes
// nothing. Otherwise: unmount (deepest first), the engine's rollback, mount again (in the
// original order, with the original options); a failure after the first unmount mounts again
// what it unmounted before it reports.
import type { SnapshotEngine, RollbackResult } from '../engines/types.js';
import { AgentError, conditionFailed } from '../errors/errors.js';
import type { MountEntry } from '../system/mountinfo.js';
import { mountsOnDevices, parseMountinfo } from '../system/mountinfo.js';
import type { Opener } from '../system/openers.js';

/** The machine, behind an interface: the real one is systemRemountDeps (system-deps.ts). */
export interface RemountDeps {
  readonly engine: SnapshotEngine;
  readonly mountinfo: () => string;
  /** "major:minor" of a device node and of everything stacked on it (partitions, holders). */
  readonly stackedDevs: (device: string) => Set<string>;
  /** "major:minor" of a device node, or undefined. */
  readonly devOf: (node: string) => string | undefined;
  readonly openers: (devs: ReadonlySet<string>) => Opener[];
  /** Resolves when unmounted; rejects with the tool's message. */
  readonly umount: (mountPoint: string) => Promise<void>;
  readonly mount: (m: MountEntry, options: string, bindFrom?: string) => Promise<void>;
  /** Whether the device can be opened exclusively: no filesystem on it is mounted anywhere. */
  readonly unused: (device: string) => boolean;
}

export interface RemountResult extends RollbackResult {
  /** Mount points unmounted and mounted again, in mount order. */
  readonly remounted: string[];
}

export async function rollbackRemount(
  deps: RemountDeps,
  groupId: string,
  diskIds?: readonly string[],
): Promise<RemountResult> {
  const devices = await devicesOf(deps, groupId, diskIds);
  const mounts = mountsOn(deps, devices);
  refuseIfOpen(deps, mounts);
  const undone: MountEntry[] = [];
  try {
    for (const m of [...mounts].reverse()) {
      await deps.umount(m.mountPoint).catch((e: unknown) => {
        throw busy(`cannot unmount ${m.mountPoint}: ${(e as Error).message}`);
      });
      undone.unshift(m);
    }
    for (const d of devices.values()) {
      if (!deps.unused(d))
        throw busy(
          `${d} is still mounted where this agent cannot unmount it (another mount namespace: a container?)`,
        );
    }
    const r = await deps.engine.rollbackGroup(groupId, diskIds?.length ? { diskIds } : {});
    await mountAgain(deps, undone.splice(0));
    return { ...r, remounted: mounts.map((m) => m.mountPoint) };
  } finally {
    // After a failure: what was unmounted is mounted again, as it was.
    if (undone.length) await mountAgain(deps, undone).catch(() => undefined);
  }
}

/** The block devices of the group's disks that are attached here, by disk id. */
async function devicesOf(
  deps: RemountDeps,
  groupId: string,
  diskIds?: readonly string[],
): Promise<Map<string, string>> {
  const g = await deps.engine.describeGroup(groupId);
  const wanted = g.snapshots.filter((s) => !diskIds?.length || diskIds.includes(s.diskId));
  if (!wanted.length) throw conditionFailed(`group ${groupId} has no snapshot of the given disks`);
  const disks = await deps.engine.describeDisks();
  const devices = new Map<string, string>();
  for (const s of wanted) {
    const dev = disks.find((d) => d.id === s.diskId)?.device;
    if (dev) devices.set(s.diskId, dev);
  }
  return devices;
}

/** Every mount of a filesystem on those devices, in mount order (btrfs: by its source). */
function mountsOn(deps: RemountDeps, devices: Map<string, string>): MountEntry[] {
  const devs = new Set([...devices.values()].flatMap((d) => [...deps.stackedDevs(d)]));
  const nodes = new Set(devices.values());
  return mountsOnDevices(parseMountinfo(deps.mountinfo()), devs, nodes, deps.devOf);
}

function refuseIfOpen(deps: RemountDeps, mounts: MountEntry[]): void {
  if (!mounts.length) return;
  const held = deps.openers(new Set(mounts.map((m) => m.dev)));
  if (!held.length) return;
  const who = held.map((o) => `${o.pid} (${o.command}: ${o.uses.slice(0, 3).join(', ')})`);
  throw busy(
    `${mounts.map((m) => m.mountPoint).join(', ')} in use by process ${who.join('; ')}: stop them first (nothing was changed)`,
    { Openers: held },
  );
}

/**
 * Mounts in order: a filesystem's own mount (its root) from its device, with its options and
 * its superblock's (btrfs's subvol= among them), or those alone if the tool refuses the
 * superblock's; a bind mount of a directory inside it, from the first.
 */
async function mountAgain(deps: RemountDeps, mounts: MountEntry[]): Promise<void> {
  const failures: string[] = [];
  for (const m of mounts) {
    const base = mounts.find((b) => b.dev === m.dev && b.root === '/' && b !== m);
    const bind =
      m.root !== '/' && m.fsType !== 'btrfs' && base ? `${base.mountPoint}${m.root}` : undefined;
    // The mount's own options (rw or ro among them), then the superblock's but its rw/ro.
    const extra = m.superOptions.split(',').filter((o) => o && o !== 'rw' && o !== 'ro');
    const full = [...new Set([...m.options.split(','), ...extra])].join(',');
    try {
      await deps.mount(m, full, bind).catch(() => deps.mount(m, m.options, bind));
    } catch (e) {
      failures.push(`${m.mountPoint}: ${(e as Error).message}`);
    }
  }
  if (failures.length)
    throw conditionFailed(`rolled back, but not mounted again: ${failures.join('; ')}`);
}

const busy = (message: string, details?: Record<string, unknown>) =>
  new AgentError('FilesystemBusy', message, details ? { details } : {});
