import type { MountEntry } from '../system/mountinfo.js';

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
 * Maps mounts to the group's disks and decides what to freeze: each filesystem once (bind
 * mounts and second mounts of the same device are skipped), allow-listed types only, read-only
 * mounts need no freeze. `devOf` resolves btrfs, whose mountinfo device number is anonymous.
 */
export function planFreeze(
  mounts: readonly MountEntry[],
  disks: readonly DiskDevices[],
  devOf: (source: string) => string | undefined = () => undefined,
  backingFileOf: (dev: string) => string | undefined = () => undefined,
): FreezePlan {
  const chosen = new Map<string, PlannedFs & { index: number }>();
  const skipped: SkippedMount[] = [];
  const uncovered = new Set<string>();
  for (const m of mounts) {
    const dev = m.dev.startsWith('0:') && m.fsType === 'btrfs' ? (devOf(m.source) ?? m.dev) : m.dev;
    const diskIds = disks.filter((d) => d.devs.has(dev)).map((d) => d.diskId);
    if (!diskIds.length) continue;
    const skip = (reason: string) =>
      skipped.push({ mountPoint: m.mountPoint, fsType: m.fsType, reason });
    if (!(FREEZABLE_FS as readonly string[]).includes(m.fsType)) {
      skip(`filesystem type ${m.fsType} is not freezable (allowed: ${FREEZABLE_FS.join(', ')})`);
      if (!m.options.split(',').includes('ro')) diskIds.forEach((d) => uncovered.add(d));
      continue;
    }
    if (chosen.has(dev)) {
      skip(`same filesystem as ${chosen.get(dev)!.mountPoint}`);
      continue;
    }
    if (m.root !== '/') {
      skip('bind mount of a subdirectory');
      continue;
    }
    if (m.options.split(',').includes('ro')) {
      skip('mounted read-only');
      continue;
    }
    chosen.set(dev, { mountPoint: m.mountPoint, dev, fsType: m.fsType, diskIds, index: m.index });
  }
  const freeze = [...chosen.values()]
    .sort((a, b) => b.index - a.index)
    .map(({ index: _index, ...fs }) => fs);
  return {
    freeze,
    waves: freezeWaves(freeze, backingFileOf),
    skipped,
    uncoveredDisks: [...uncovered],
  };
}

const inside = (path: string, dir: string) =>
  dir === '/' || path === dir || path.startsWith(`${dir}/`);

/** Wave of each filesystem: one more than the latest wave of anything that must go first. */
export function freezeWaves(
  order: readonly PlannedFs[],
  backingFileOf: (dev: string) => string | undefined,
): string[][] {
  const wave = new Map<PlannedFs, number>();
  const mustPrecede = (first: PlannedFs, then: PlannedFs) => {
    if (first === then) return false;
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
