// The guest image cache's housekeeping (image.mjs): one builder at a time, and old entries
// removed without ever reaching through a mount.
//
// Why: a build killed mid-way (a CI job's time limit, a session's end) leaves its chroot with
// /proc, /sys or a bind mount of the host's /dev inside it. Removing such a directory the plain
// way (rmSync recursive) descends into those mounts: it failed on /proc (EBUSY) and stopped the
// next CI run, and through the /dev bind mount it would delete the host's device nodes.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Mount points at or below `dir`, deepest first (the order to unmount them). */
export function mountsUnder(dir, mountinfo = readFileSync('/proc/self/mountinfo', 'utf8')) {
  const unescape = (s) => s.replace(/\\([0-7]{3})/g, (_, o) => String.fromCharCode(parseInt(o, 8)));
  return mountinfo
    .split('\n')
    .filter(Boolean)
    .map((line) => unescape(line.split(' ')[4]))
    .filter((m) => m === dir || m.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/**
 * Removes every entry of the cache directory `dir` but `keep` (and the lock file): first it
 * unmounts what a killed build left mounted inside (lazily if busy: the chroot's processes are
 * gone or going), then `rm --one-file-system`, which refuses to cross into any mount still
 * there. Never throws: a leftover is reported on stderr and tried again by the next build.
 * Call it only while holding the lock (withLock), when no other build can be running.
 * Returns the entries it could not remove.
 */
export function pruneOthers(dir, keep, log = (m) => process.stderr.write(`${m}\n`)) {
  const left = [];
  if (!existsSync(dir)) return left;
  for (const name of readdirSync(dir)) {
    if (name === keep || name === LOCK) continue;
    const path = join(dir, name);
    for (const m of mountsUnder(path)) {
      if (spawnSync('umount', [m]).status !== 0) spawnSync('umount', ['-l', m]);
    }
    const still = mountsUnder(path);
    const rm = spawnSync('rm', ['-rf', '--one-file-system', '--', path], { encoding: 'utf8' });
    if (still.length > 0 || rm.status !== 0 || existsSync(path)) {
      left.push(path);
      log(
        `vm:image: could not remove ${path} (${still.length ? `still mounted: ${still.join(', ')}` : rm.stderr.trim()}); left for the next build`,
      );
    }
  }
  return left;
}

export const LOCK = '.lock';

/**
 * Runs `node script args…` holding an exclusive flock(1) on `dir`/.lock, or, when this
 * process already holds it (env ASP_VM_IMAGE_LOCKED), returns null so the caller goes on.
 * Two test runs on one machine share the cache: without it, one removes the other's build.
 */
export function withLock(dir, script, args) {
  if (process.env.ASP_VM_IMAGE_LOCKED === '1') return null;
  spawnSync('mkdir', ['-p', dir]);
  const r = spawnSync(
    'flock',
    ['--exclusive', join(dir, LOCK), process.execPath, script, ...args],
    {
      stdio: 'inherit',
      env: { ...process.env, ASP_VM_IMAGE_LOCKED: '1' },
    },
  );
  return r.status ?? 1;
}
