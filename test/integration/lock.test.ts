// The lock on a really full state directory (a tiny tmpfs of the test's own): the run stops
// before anything with one clear line (exit 1), and leaves no partial lock or temporary file.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, lockHolder } from '../../src/system/lock.js';
import { requireRoot } from '../support/lab.js';

/** A tmpfs of `options` mounted for `body`, always unmounted and removed after. */
function withTmpfs(options: string, body: (dir: string) => void): void {
  const root = mkdtempSync('/tmp/asp-lockfs-');
  try {
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', options, 'asp-lock-test', root], {
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    try {
      body(root);
    } finally {
      spawnSync('umount', [root]);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Writes 1 KiB files into `dir` until the filesystem refuses one; returns the error code. */
function fill(dir: string): string {
  for (let n = 0; n < 100_000; n++) {
    try {
      writeFileSync(join(dir, `fill-${n}`), Buffer.alloc(1024, 1));
    } catch (e) {
      return (e as NodeJS.ErrnoException).code ?? String(e);
    }
  }
  throw new Error(`${dir} never filled up`);
}

describe.skipIf(!requireRoot())('the lock on a full state directory', () => {
  for (const [label, options, code, hint] of [
    ['no space left', 'size=64k,mode=0700', 'ENOSPC', /the filesystem is full \(ENOSPC\)/],
    ['no inode left', 'nr_inodes=8,mode=0700', 'ENOSPC', /the filesystem is full \(ENOSPC\)/],
  ] as const) {
    it(`${label}: exit 1 with one clear line, no lock and no partial file left`, () => {
      withTmpfs(options, (root) => {
        const stateDir = join(root, 'state');
        mkdirSync(stateDir, { mode: 0o700 });
        expect(fill(root)).toBe(code);
        const before = readdirSync(stateDir);
        let thrown: unknown;
        try {
          acquireLock(stateDir).release();
        } catch (e) {
          thrown = e;
        }
        expect(thrown).toMatchObject({
          exitCode: 1,
          message: expect.stringMatching(hint),
        });
        expect((thrown as Error).message).not.toContain('\n');
        expect(readdirSync(stateDir)).toEqual(before);
        expect(lockHolder(stateDir)).toBeUndefined();
      });
    });
  }
});
