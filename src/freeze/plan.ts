import {
  diskDevOf,
  isReachable,
  isReadOnlyFs,
  isReadOnlyMount,
  mountOf,
  type MountEntry,
} from '../system/mountinfo.js';

/** Filesystems we freeze: FIFREEZE is well-tested on these; anything else is skipped. */
export const FREEZABLE_FS = ['ext3', 'ext4', 'xfs', 'btrfs'] as const;

export interface DiskDevices {
  readonly diskId: string;
  /** The disk, its partitions and holders (dm/md) as "major:minor". */
  readonly devs: ReadonlySet<string>;
}

export interface PlannedFs {
  readonly mountPoint: string;
  readonly dev: string;
  readonly fsType: string;
  readonly diskIds: string[];
}

export interface SkippedMount {
  readonly mountPoint: string;
  readonly fsType: string;
  readonly reason: string;
  /** Set when skipping it leaves these disks uncovered. */
  readonly uncovers?: string[];
}

export interface FreezePlan {
  /** In freeze order: reverse mount order, children before parents. Thaw is the reverse. */
  readonly freeze: PlannedFs[];
  /**
   * The same filesystems in waves: a wave is frozen in parallel once the previous one is
   * frozen. A filesystem mounted inside another, or whose loop image lives on another, is in
   * an earlier wave than that other one. Thaw runs the waves backwards.
   */
  readonly waves: string[][];
  readonly skipped: SkippedMount[];
  /** Disks with a mounted, writable filesystem we cannot freeze: not file-system consistent. */
  readonly uncoveredDisks: string[];
}

/**
 * Maps mounts to the group's disks and decides what to freeze, by filesystem (superblock):
 * FIFREEZE acts on the whole filesystem, so each one on a group disk is frozen once, through
 * any mount of it that a path lookup reaches: its root mount if there is one, else a btrfs
 * subvolume or a bind mount of a subdirectory (Fedora, openSUSE, container hosts). A
 * filesystem that is read-only (its superblock, not just one mount) needs no freeze. A
 * writable one that cannot be frozen (type not allow-listed, or no reachable mount) leaves
 * its disks uncovered: their snapshots get no consistency tag. `devOf` resolves btrfs, whose
 * mountinfo device number is anonymous.
 */
export function planFreeze(
  mounts: readonly MountEntry[],
  disks: readonly DiskDevices[],
  devOf: (source: string) => string | undefined = () => undefined,
  backingFileOf: (dev: string) => string | undefined = () => undefined,
): FreezePlan {
  const chosen: (PlannedFs & { index: number })[] = [];
  const skipped: SkippedMount[] = [];
  const uncovered = new Set<string>();
  for (const fs of filesystems(mounts, disks, devOf)) {
    const d = decide(mounts, fs);
    skipped.push(...d.skipped);
    if (d.via) {
      const type = d.via.fsType;
      chosen.push({
        mountPoint: d.via.mountPoint,
        dev: fs.dev,
        fsType: type,
        diskIds: fs.diskIds,
        index: d.via.index,
      });
    } else if (d.uncovered) {
      fs.diskIds.forEach((id) => uncovered.add(id));
    }
  }
  const freeze = chosen.sort((a, b) => b.index - a.index).map(({ index: _index, ...fs }) => fs);
  return {
    freeze,
    waves: freezeWaves(freeze, backingFileOf),
    skipped: [...skipped, ...overlays(mounts, disks, devOf, freeze)],
    uncoveredDisks: [...uncovered],
  };
}

/** For one filesystem: the mount to freeze it through, or why not (and whether that uncovers). */
function decide(
  all: readonly MountEntry[],
  fs: MountedFs,
):
  | { via: MountEntry; skipped: SkippedMount[] }
  | { via?: undefined; uncovered: boolean; skipped: SkippedMount[] } {
  const skipAll = (reason: string, uncovers?: string[]) =>
    fs.mounts.map((m) => ({
      mountPoint: m.mountPoint,
      fsType: m.fsType,
      reason,
      ...(uncovers ? { uncovers } : {}),
    }));
  const type = fs.mounts[0]!.fsType;
  if (isReadOnlyFs(fs.mounts[0]!)) {
    return { uncovered: false, skipped: skipAll('the filesystem is read-only') };
  }
  if (!(FREEZABLE_FS as readonly string[]).includes(type)) {
    const why = `filesystem type ${type} is not freezable (allowed: ${FREEZABLE_FS.join(', ')})`;
    return { uncovered: true, skipped: skipAll(why, fs.diskIds) };
  }
  const via = pickMount(all, fs.mounts);
  if (!via) {
    const why = 'hidden under another mount: no path reaches this filesystem to freeze it';
    return { uncovered: true, skipped: skipAll(why, fs.diskIds) };
  }
  const others = fs.mounts.filter((m) => m !== via);
  return {
    via,
    skipped: others.map((m) => ({
      mountPoint: m.mountPoint,
      fsType: m.fsType,
      reason: `same filesystem as ${via.mountPoint}`,
    })),
  };
}

interface MountedFs {
  /** Block device ("major:minor") the filesystem lives on. */
  readonly dev: string;
  readonly diskIds: string[];
  /** Every mount of it, in mount order. */
  readonly mounts: MountEntry[];
}

/** The filesystems on the group's disks, each with all of its mounts. */
function filesystems(
  mounts: readonly MountEntry[],
  disks: readonly DiskDevices[],
  devOf: (source: string) => string | undefined,
): MountedFs[] {
  const bySuperblock = new Map<string, MountedFs>();
  for (const m of mounts) {
    const dev = diskDevOf(m, devOf);
    const diskIds = disks.filter((d) => d.devs.has(dev)).map((d) => d.diskId);
    if (!diskIds.length) continue;
    const key = `${m.dev}|${m.fsType}`;
    const fs = bySuperblock.get(key) ?? { dev, diskIds, mounts: [] };
    fs.mounts.push(m);
    bySuperblock.set(key, fs);
  }
  return [...bySuperblock.values()];
}

/**
 * Container roots (podman, docker): overlayfs has no FIFREEZE of its own and is never frozen
 * or counted as frozen. What it writes goes to its upper directory, a plain directory of
 * another filesystem: that one is frozen (or not) like any other, and said here. Overlays
 * whose upper directory is not on the group's disks, or that have none (read-only), are
 * not the group's business and are not listed.
 */
function overlays(
  mounts: readonly MountEntry[],
  disks: readonly DiskDevices[],
  devOf: (source: string) => string | undefined,
  frozen: readonly PlannedFs[],
): SkippedMount[] {
  const out: SkippedMount[] = [];
  for (const m of mounts) {
    if (m.fsType !== 'overlay') continue;
    const upper = /(?:^|,)upperdir=((?:\\,|[^,])+)/.exec(m.superOptions)?.[1]?.replace(/\\,/g, ',');
    const holder = upper ? mountOf(mounts, upper) : undefined;
    if (!holder) continue;
    const dev = diskDevOf(holder, devOf);
    if (!disks.some((d) => d.devs.has(dev))) continue;
    const via = frozen.find((f) => f.dev === dev);
    out.push({
      mountPoint: m.mountPoint,
      fsType: m.fsType,
      reason: via
        ? `overlayfs is not frozen itself: its writes go to ${upper}, on ${via.mountPoint}, which is frozen`
        : `overlayfs is not frozen itself: its writes go to ${upper}, on a filesystem that is not frozen either`,
    });
  }
  return out;
}

/** The mount to freeze through: reachable, preferably the filesystem's root, then writable. */
function pickMount(
  all: readonly MountEntry[],
  mine: readonly MountEntry[],
): MountEntry | undefined {
  const reachable = mine.filter((m) => isReachable(all, m));
  const rank = (m: MountEntry) => (m.root === '/' ? 0 : 2) + (isReadOnlyMount(m) ? 1 : 0);
  // The sort is stable and `mine` is in mount order: of equal ranks, the first mounted wins.
  return [...reachable].sort((a, b) => rank(a) - rank(b))[0];
}

/** Strictly below: two frozen filesystems never share a mount point (the lower is hidden). */
const inside = (path: string, dir: string) => dir === '/' || path.startsWith(`${dir}/`);

/** Wave of each filesystem: one more than the latest wave of anything that must go first. */
export function freezeWaves(
  order: readonly PlannedFs[],
  backingFileOf: (dev: string) => string | undefined,
): string[][] {
  const wave = new Map<PlannedFs, number>();
  // Never asked of a filesystem and itself: `fs` has no wave yet when it is asked.
  const mustPrecede = (first: PlannedFs, then: PlannedFs) => {
    if (inside(first.mountPoint, then.mountPoint)) return true; // nested mount
    const backing = backingFileOf(first.dev);
    return backing !== undefined && inside(backing, then.mountPoint); // image stored on `then`
  };
  // `order` is reverse mount order, so everything that must precede X is listed before X.
  for (const fs of order) {
    const before = order.filter((o) => wave.has(o) && mustPrecede(o, fs));
    wave.set(fs, before.length ? Math.max(...before.map((b) => wave.get(b)!)) + 1 : 0);
  }
  const waves: string[][] = [];
  for (const [fs, w] of wave) (waves[w] ??= []).push(fs.mountPoint);
  return waves;
}
