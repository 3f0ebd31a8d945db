// Where a database server's data directory really is, when the server may run in a container.
// The server reports its data directory as it sees it (/var/lib/mysql in a container); in our
// mount namespace that path names another directory, or none. The server's process knows:
// /proc/PID/root is its root, and its own mountinfo says which filesystem (device, and path
// inside it) holds the directory; the same filesystem in our namespace gives the host path.
// Reads only /proc (any `procDir` laid out like it, for tests).
import { readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { devString } from './blockdev.js';
import { mountOf, parseMountinfo, type MountEntry } from './mountinfo.js';

export interface ServerData {
  /** The directory as the server names it. */
  readonly path: string;
  /** The server's process (host pid), when one was found that has this directory. */
  readonly pid?: number;
  /** Whether that process runs in another mount namespace (a container). */
  readonly container: boolean;
  /** The filesystem holding the directory, as mounted here ("major:minor" as mountinfo). */
  readonly dev?: string;
  /** Our mount of that filesystem (its root mount if reachable), and the directory under it. */
  readonly mount?: MountEntry;
  readonly hostPath?: string;
  /** Why it could not be placed, or which processes made it ambiguous. */
  readonly note?: string;
}

const read = (file: string) => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
};
/** Links resolved (pg_wal is often one), or the path as it is when it does not exist here. */
const realpath = (path: string) => {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
};
const link = (file: string) => {
  try {
    return readlinkSync(file);
  } catch {
    return undefined;
  }
};

/** Host pids whose command name (comm) is one of `names`. */
export function processesNamed(procDir: string, names: readonly string[]): number[] {
  let entries: string[];
  try {
    entries = readdirSync(procDir);
  } catch {
    return [];
  }
  return entries
    .filter((e) => /^\d+$/.test(e))
    .filter((pid) => names.includes((read(join(procDir, pid, 'comm')) ?? '').trim()))
    .map(Number)
    .sort((a, b) => a - b);
}

/** Path `p` of a filesystem, seen through mount `m` of it, or undefined if `m` does not show it. */
function under(m: MountEntry, fsPath: string): string | undefined {
  const root = m.root === '/' ? '' : m.root;
  if (fsPath !== root && !fsPath.startsWith(`${root}/`)) return undefined;
  const rest = fsPath.slice(root.length);
  return m.mountPoint === '/' ? rest || '/' : `${m.mountPoint}${rest}`;
}

/**
 * Places `path` of a server whose process is named one of `names`: finds the processes that
 * have that directory under their root, and maps it to our mounts. Two containers of one
 * image both have it: the server's `hostname` (its container's, which podman and docker also
 * write to the container's /etc/hostname) tells them apart; if that does not, both are named
 * in `note` and the first is used. No process: the path as it is in our namespace (a remote
 * server's paths are not ours to place).
 */
export function locateServerData(
  path: string,
  names: readonly string[],
  ownMounts: readonly MountEntry[],
  procDir = '/proc',
  hostname?: string,
): ServerData {
  const candidates = processesNamed(procDir, names).flatMap((pid) => {
    const d = dirOf(join(procDir, String(pid), 'root', path));
    return d ? [{ pid, ...d }] : [];
  });
  // The server holds files in its data directory open; a shell or a client beside it does not.
  const holding = candidates.filter((c) => holdsOpen(join(procDir, String(c.pid)), path));
  let pool = holding.length ? holding : candidates;
  const named = (pid: number) =>
    (read(join(procDir, String(pid), 'root', 'etc', 'hostname')) ?? '').trim() === hostname;
  if (hostname && distinct(pool) > 1 && pool.some((c) => named(c.pid)))
    pool = pool.filter((c) => named(c.pid));
  const found = pool.map((c) => c.pid);
  if (!found.length) {
    const real = realpath(path);
    const m = mountOf(ownMounts, real);
    return {
      path,
      container: false,
      ...(m ? { dev: m.dev, mount: m, hostPath: real } : {}),
      note: `no local ${names.join('/')} process has ${path}: placed as it is on this host`,
    };
  }
  // Its device as read above: the process may have gone since.
  const { pid, dev } = pool[0]!;
  const proc = join(procDir, String(pid));
  const container = link(join(proc, 'ns', 'mnt')) !== link(join(procDir, 'self', 'ns', 'mnt'));
  // Several processes of one server (PostgreSQL's), or host processes that all see one
  // directory, are not ambiguous; two containers' directories are.
  const note =
    distinct(pool) > 1
      ? `several processes have ${path} (pids ${found.join(', ')}): pid ${pid} used`
      : undefined;
  const { mount, hostPath } = ourView(proc, path, dev, ownMounts);
  return {
    path,
    pid,
    container,
    dev,
    ...(mount ? { mount } : {}),
    ...(hostPath ? { hostPath } : {}),
    ...(note ? { note } : {}),
  };
}

/** A directory's identity (device and inode) and its device, or undefined if `p` is not one. */
function dirOf(p: string): { dir: string; dev: string } | undefined {
  try {
    const st = statSync(p);
    return st.isDirectory() ? { dir: `${st.dev}:${st.ino}`, dev: devString(st.dev) } : undefined;
  } catch {
    return undefined;
  }
}

const distinct = (pool: readonly { dir: string }[]) => new Set(pool.map((c) => c.dir)).size;

/** Whether the process has a file under `path` open (its fd links name paths in its own root). */
function holdsOpen(proc: string, path: string): boolean {
  let fds: string[];
  try {
    fds = readdirSync(join(proc, 'fd'));
  } catch {
    return false;
  }
  return fds.some((fd) => link(join(proc, 'fd', fd))?.startsWith(`${path}/`));
}

/** Our mount of the filesystem `dev` that holds a process's `path`, and the path through it. */
function ourView(
  proc: string,
  path: string,
  dev: string,
  ownMounts: readonly MountEntry[],
): { mount?: MountEntry; hostPath?: string } {
  // The directory inside its filesystem, by the server's own mount table.
  const theirs = mountOf(parseMountinfo(read(join(proc, 'mountinfo')) ?? ''), path);
  const fsPath =
    theirs && theirs.dev === dev
      ? `${theirs.root === '/' ? '' : theirs.root}${path.slice(theirs.mountPoint === '/' ? 0 : theirs.mountPoint.length)}` ||
        '/'
      : undefined;
  // Ours: a mount of the same filesystem that shows that directory, its root mount first.
  const same = ownMounts.filter((m) => m.dev === dev);
  const shown = fsPath
    ? [...same]
        .sort((a, b) => a.root.length - b.root.length)
        .map((m) => ({ m, at: under(m, fsPath) }))
        .find((x) => x.at !== undefined)
    : undefined;
  const mount = shown?.m ?? same.find((m) => m.root === '/') ?? same[0];
  return { ...(mount ? { mount } : {}), ...(shown?.at ? { hostPath: shown.at } : {}) };
}
