// Which processes hold a filesystem open, as `fuser -m` finds them: through /proc, in every
// mount namespace (a container's processes included), by the device number of what each one
// uses. Read-only, and no tool: psmisc is not on every system.
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { devString } from './blockdev.js';

/** A process using a filesystem, and how (its cwd, root, program, an open file, a mapping). */
export interface Opener {
  readonly pid: number;
  readonly command: string;
  readonly uses: string[];
}

/**
 * Every process (but `except`) that uses a filesystem whose device is in `devs` ("major:minor").
 * A process that ends while it is read is skipped; so is what this process may not read.
 */
export function openersOf(
  devs: ReadonlySet<string>,
  except = process.pid,
  proc = '/proc',
): Opener[] {
  const found: Opener[] = [];
  for (const name of readdirSync(proc)) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid <= 0 || pid === except) continue;
    const uses = usesOf(join(proc, name), devs);
    if (!uses.length) continue;
    found.push({ pid, command: commandOf(join(proc, name)), uses });
  }
  return found;
}

function usesOf(dir: string, devs: ReadonlySet<string>): string[] {
  const uses: string[] = [];
  const on = (link: string) => {
    try {
      return devs.has(devString(statSync(link).dev));
    } catch {
      return false; // gone, or a socket/pipe/anonymous file that stat cannot follow
    }
  };
  const target = (link: string) => {
    try {
      return readlinkSync(link);
    } catch {
      return '?';
    }
  };
  for (const what of ['cwd', 'root', 'exe']) {
    if (on(join(dir, what))) uses.push(`${what} ${target(join(dir, what))}`);
  }
  let fds: string[] = [];
  try {
    fds = readdirSync(join(dir, 'fd'));
  } catch {
    // gone, or not ours to read
  }
  for (const fd of fds) {
    const link = join(dir, 'fd', fd);
    if (on(link)) uses.push(`fd ${fd} ${target(link)}`);
  }
  uses.push(...mappedFrom(dir, devs));
  return uses;
}

/** Mapped files on those devices (a program or library run from the filesystem). */
function mappedFrom(dir: string, devs: ReadonlySet<string>): string[] {
  let maps = '';
  try {
    maps = readFileSync(join(dir, 'maps'), 'utf8');
  } catch {
    return [];
  }
  const files = new Set<string>();
  for (const line of maps.split('\n')) {
    // address perms offset dev(hex major:minor) inode path
    const f = line.split(/\s+/);
    if (f.length < 6 || f[4] === '0') continue;
    const [ma, mi] = f[3]!.split(':').map((h) => parseInt(h, 16));
    if (devs.has(`${ma}:${mi}`)) files.add(f.slice(5).join(' '));
  }
  return [...files].map((p) => `mmap ${p}`);
}

function commandOf(dir: string): string {
  try {
    return readFileSync(join(dir, 'comm'), 'utf8').trim();
  } catch {
    return '?';
  }
}
