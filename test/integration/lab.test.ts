// `lab up` failures leave nothing behind that `lab down` cannot see.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { requireRoot, runCli } from '../support/lab.js';

/** Mounts and loop devices whose path is under `root`: what a failed `lab up` could leak. */
function leftovers(root: string): string[] {
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((mp) => mp.startsWith(`${root}/`));
  const loops = spawnSync('losetup', ['-n', '-O', 'NAME,BACK-FILE'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter((l) => l.includes(`${root}/`));
  return [...mounts, ...loops];
}

/** Undoes whatever a test left under `root`: mounts (deepest first), then loop devices. */
function forceClean(root: string): void {
  for (let pass = 0; pass < 3 && leftovers(root).length; pass++) {
    for (const x of leftovers(root).reverse()) {
      const [first] = x.trim().split(/\s+/);
      if (first!.startsWith('/dev/loop')) spawnSync('losetup', ['-d', first!]);
      else spawnSync('umount', [x]);
    }
  }
  rmSync(root, { recursive: true, force: true });
}

/** `lab up` of one small ext4 disk under `root`, with JSON output. */
const oneDiskLab = (root: string) =>
  runCli(['lab', 'up', '--root', root, '--disks', '1', '--size', '320M', '--fs', 'ext4', '--json']);

describe.skipIf(!requireRoot())('lab up and down', () => {
  it('a lab that does not fit the filesystem under it is refused (exit 1) before anything is made', async () => {
    const dir = mkdtempSync('/tmp/asp-lab-space-');
    // 64 MiB of room: two 300M XFS disks, written, would fill it and fail their writes.
    spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=64M', 'tmpfs', dir]);
    try {
      const r = await runCli([
        'lab',
        'up',
        '--root',
        join(dir, 'lab'),
        '--disks',
        '2',
        '--size',
        '300M',
        '--fs',
        'xfs',
      ]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        new RegExp(
          `^lab up: lab: ${dir} has \\d+ MiB free, less than the 2 disk\\(s\\) of 300 MiB need when written \\(600 MiB\\)`,
        ),
      );
      expect(existsSync(join(dir, 'lab'))).toBe(false);
    } finally {
      spawnSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('a size too small for a filesystem type is exit 2 before anything is made', async () => {
    const root = join(mkdtempSync('/tmp/asp-labt-'), 'lab');
    try {
      const r = await runCli([
        'lab',
        'up',
        '--root',
        root,
        '--disks',
        '2',
        '--size',
        '256M',
        '--fs',
        'ext4,xfs',
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/--size 256M is too small for xfs \(at least 300M\)/);
      expect(existsSync(root)).toBe(false);
      expect(leftovers(root)).toEqual([]);
    } finally {
      forceClean(join(root, '..'));
    }
  });

  it('a failure half-way is undone: no mount, no loop device, no directory left', async () => {
    const base = mkdtempSync('/tmp/asp-labt-');
    const root = join(base, 'lab');
    // A mkfs.btrfs that fails, found first on PATH: the pool and the ext4 disk are made first.
    const bin = join(base, 'bin');
    mkdirSync(bin);
    writeFileSync(
      join(bin, 'mkfs.btrfs'),
      '#!/bin/sh\necho "mkfs.btrfs: injected failure" >&2\nexit 1\n',
    );
    chmodSync(join(bin, 'mkfs.btrfs'), 0o755);
    try {
      const r = await runCli(
        ['lab', 'up', '--root', root, '--disks', '2', '--size', '320M', '--fs', 'ext4,btrfs'],
        { env: { PATH: `${bin}:${process.env.PATH}` } },
      );
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/injected failure/);
      expect(leftovers(base)).toEqual([]);
      expect(existsSync(root)).toBe(false);
    } finally {
      forceClean(base);
    }
  });

  it('never mkfs an image that is attached, even when the state file is lost', async () => {
    const base = mkdtempSync('/tmp/asp-labt-');
    const root = join(base, 'lab');
    try {
      const up = await oneDiskLab(root);
      expect(up.code).toBe(0);
      const mnt = JSON.parse(up.stdout).disks[0].mountPoint as string;
      writeFileSync(join(mnt, 'precious'), 'data');
      const saved = readFileSync(join(root, 'lab.json'), 'utf8');
      rmSync(join(root, 'lab.json')); // as an older version's failed `lab up` left it
      const again = await oneDiskLab(root);
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(
        /refusing to mkfs .*: it is attached as \/dev\/loop\d+|not removing/,
      );
      expect(readFileSync(join(mnt, 'precious'), 'utf8')).toBe('data');
      // With its state file back, `lab down` removes all of it.
      writeFileSync(join(root, 'lab.json'), saved);
      expect((await runCli(['lab', 'down', '--root', root])).code).toBe(0);
      expect(leftovers(base)).toEqual([]);
    } finally {
      forceClean(base);
    }
  });
});
