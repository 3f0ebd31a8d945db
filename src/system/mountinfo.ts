// /proc/self/mountinfo, parsed. Pure: the text is passed in.

export interface MountEntry {
  readonly id: number;
  readonly parentId: number;
  /** "major:minor" of the filesystem's device (0:N for pseudo and network filesystems). */
  readonly dev: string;
  /** Path inside the filesystem that is mounted here: "/" unless it is a bind mount. */
  readonly root: string;
  readonly mountPoint: string;
  readonly options: string;
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
      index: entries.length,
    });
  }
  return entries;
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
