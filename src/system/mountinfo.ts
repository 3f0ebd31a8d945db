// /proc/self/mountinfo, parsed. Pure: the text is passed in.

export interface MountEntry {
  readonly id: number;
  readonly parentId: number;
  /** "major:minor" of the filesystem's device (0:N for pseudo and network filesystems). */
  readonly dev: string;
  /** Path inside the filesystem that is mounted here: "/" unless it is a bind mount. */
  readonly root: string;
  readonly mountPoint: string;
  /** Per-mount options (a read-only bind mount of a writable filesystem says "ro"). */
  readonly options: string;
  /** The filesystem's (superblock's) options: "ro" here means nothing can write to it. */
  readonly superOptions: string;
  readonly fsType: string;
  readonly source: string;
  /** Position in the table: mount order. */
  readonly index: number;
}

// mountinfo escapes space, tab, newline and backslash as octal.
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const sep = line.indexOf(' - ');
    if (sep < 0) continue;
    const left = line.slice(0, sep).split(' ');
    const right = line.slice(sep + 3).split(' ');
    if (left.length < 6 || right.length < 2) continue;
    entries.push({
      id: Number(left[0]),
      parentId: Number(left[1]),
      dev: left[2]!,
      root: unescape(left[3]!),
      mountPoint: unescape(left[4]!),
      options: left[5]!,
      fsType: right[0]!,
      source: unescape(right[1]!),
      superOptions: right[2] ?? '',
      index: entries.length,
    });
  }
  return entries;
}

const hasOption = (options: string, o: string) => options.split(',').includes(o);
export const isReadOnlyMount = (m: MountEntry) => hasOption(m.options, 'ro');
export const isReadOnlyFs = (m: MountEntry) => hasOption(m.superOptions, 'ro');

/**
 * Whether `m` is what a path lookup of its mount point reaches in this namespace: no mount
 * stacked on it at the same place, no later sibling mounted over a directory above it, and
 * the same holds for its parent. A hidden mount cannot be frozen through its path (the
 * lookup would reach whatever covers it).
 */
export function isReachable(entries: readonly MountEntry[], m: MountEntry): boolean {
  const byId = new Map(entries.map((e) => [e.id, e]));
  const under = (path: string, dir: string) =>
    dir === '/' ? path !== '/' : path.startsWith(`${dir}/`);
  const seen = new Set<number>();
  for (let cur: MountEntry | undefined = m; cur && !seen.has(cur.id);) {
    seen.add(cur.id);
    const c = cur;
    const covered = entries.some(
      (e) =>
        e !== c &&
        ((e.parentId === c.id && e.mountPoint === c.mountPoint) ||
          (e.parentId === c.parentId &&
            e.index > c.index &&
            (e.mountPoint === c.mountPoint || under(c.mountPoint, e.mountPoint)))),
    );
    if (covered) return false;
    cur = byId.get(c.parentId);
  }
  return true;
}

/** The mount whose mount point is the longest prefix of `path` (path must be absolute). */
export function mountOf(entries: readonly MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const e of entries) {
    const mp = e.mountPoint;
    const inside = mp === '/' || path === mp || path.startsWith(mp.endsWith('/') ? mp : `${mp}/`);
    // Later entries stack on top of earlier ones at the same mount point.
    if (inside && (!best || mp.length >= best.mountPoint.length)) best = e;
  }
  return best;
}

/**
 * The block device ("major:minor") a mount's filesystem lives on. mountinfo gives the
 * superblock's device, which is the disk's (or its partition's, or a holder's) everywhere
 * except on btrfs: there it is always anonymous (0:N, one per subvolume), and the source
 * device, resolved by `devOfNode`, says which disk it is on. Elsewhere the number is trusted
 * over the source's name, which may since name another device (a loop device reused).
 */
export function diskDevOf(m: MountEntry, devOfNode: (node: string) => string | undefined): string {
  return m.fsType === 'btrfs' ? (devOfNode(m.source) ?? m.dev) : m.dev;
}

/**
 * The mounts of filesystems on some block devices: by the mount's device number, or by its
 * source (btrfs's mountinfo device is an anonymous 0:N; its source names the device).
 * `devs`: their "major:minor" numbers, partitions and holders included; `nodes`: their paths.
 */
export function mountsOnDevices(
  entries: readonly MountEntry[],
  devs: ReadonlySet<string>,
  nodes: ReadonlySet<string>,
  devOfNode: (node: string) => string | undefined,
): MountEntry[] {
  return entries.filter(
    (m) =>
      devs.has(m.dev) ||
      nodes.has(m.source) ||
      (m.source.startsWith('/dev/') && devs.has(devOfNode(m.source) ?? '')),
  );
}
