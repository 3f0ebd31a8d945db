// The guest image cache's housekeeping (tools/vm/cache.mjs) on real mounts. CI failed once on a
// build killed mid-way: its chroot still had /proc mounted, and the next build's cleanup
// (rmSync recursive) stopped on EBUSY; through the chroot's bind mount of /dev it would have
// deleted the host's device nodes. Here the bind mount's source is a directory of our own.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LOCK, mountsUnder, pruneOthers, withLock } from '../../tools/vm/cache.mjs';

describe('the guest image cache', () => {
  let root: string | undefined;
  afterEach(() => {
    if (!root) return;
    for (const m of mountsUnder(root)) spawnSync('umount', ['-l', m]);
    rmSync(root, { recursive: true, force: true });
    root = undefined;
  });

  it('removes a killed build with /proc and a bind mount still inside it, and leaves the bind source alone', () => {
    root = mkdtempSync(join(tmpdir(), 'asp-vmcache-'));
    const cache = join(root, 'vm');
    const hostDev = join(root, 'host-dev');
    mkdirSync(hostDev);
    writeFileSync(join(hostDev, 'sentinel'), 'a device node stand-in');
    const build = join(cache, 'k1.build-AbC123', 'rootfs');
    for (const d of ['proc', 'dev', 'etc']) mkdirSync(join(build, d), { recursive: true });
    writeFileSync(join(build, 'etc', 'hostname'), 'asp-guest');
    expect(spawnSync('mount', ['-t', 'proc', 'proc', join(build, 'proc')]).status).toBe(0);
    expect(spawnSync('mount', ['--bind', hostDev, join(build, 'dev')]).status).toBe(0);
    mkdirSync(join(cache, 'k0'));
    writeFileSync(join(cache, 'k0', 'root.img'), 'an older key');
    mkdirSync(join(cache, 'k2'));
    writeFileSync(join(cache, 'k2', 'ready'), '');
    writeFileSync(join(cache, LOCK), '');

    const said: string[] = [];
    expect(pruneOthers(cache, 'k2', (m: string) => said.push(m))).toEqual([]);

    expect(said).toEqual([]);
    expect(readdirSync(cache).sort()).toEqual([LOCK, 'k2']);
    expect(mountsUnder(root)).toEqual([]);
    expect(existsSync(join(hostDev, 'sentinel'))).toBe(true);
  });

  it('reads mount points with the kernel’s octal escapes, deepest first, and not a sibling that shares the prefix', () => {
    const info = [
      '22 1 8:1 / / rw - ext4 /dev/sda1 rw',
      '40 22 0:5 / /c/vm/a\\040b/rootfs/proc rw - proc proc rw',
      '41 22 0:6 / /c/vm/a\\040b/rootfs rw - tmpfs t rw',
      '42 22 0:7 / /c/vm/a\\040bc rw - tmpfs t rw',
    ].join('\n');
    expect(mountsUnder('/c/vm/a b', info)).toEqual(['/c/vm/a b/rootfs/proc', '/c/vm/a b/rootfs']);
  });

  it('lets one builder at a time run: a second waits for the lock', async () => {
    root = mkdtempSync(join(tmpdir(), 'asp-vmcache-'));
    const done = join(root, 'done');
    const script = join(root, 'build.mjs');
    writeFileSync(
      script,
      `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(done)}, process.env.ASP_VM_IMAGE_LOCKED);\n`,
    );
    // The first builder: flock(1) holding the lock until we close its stdin.
    const holder = spawn('flock', ['--exclusive', join(root, LOCK), 'cat'], {
      stdio: ['pipe', 'ignore', 'inherit'],
    });
    await new Promise((r) => setTimeout(r, 300));
    const second = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { withLock } from ${JSON.stringify(new URL('../../tools/vm/cache.mjs', import.meta.url).href)};` +
          `process.exit(withLock(${JSON.stringify(root)}, ${JSON.stringify(script)}, []));`,
      ],
      { stdio: 'inherit', env: { ...process.env, ASP_VM_IMAGE_LOCKED: '' } },
    );
    const exited = new Promise<number | null>((r) => second.on('exit', r));
    await new Promise((r) => setTimeout(r, 1500));
    expect(existsSync(done)).toBe(false);
    holder.stdin.end();
    expect(await exited).toBe(0);
    expect(existsSync(done)).toBe(true);
    // Inside the lock, withLock returns null: the script goes on instead of taking it again.
    process.env.ASP_VM_IMAGE_LOCKED = '1';
    try {
      expect(withLock(root, script, [])).toBeNull();
    } finally {
      delete process.env.ASP_VM_IMAGE_LOCKED;
    }
  });
});
