import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmp } from '../../support/tmp.js';
import {
  acquireLock,
  ensureStateDir,
  lockHolder,
  stateDirProblem,
} from '../../../src/system/lock.js';
import { isAlive, processStartTime } from '../../../src/system/process.js';

const dir = () => tmp('asp-lock-');

describe('lock', () => {
  it('lets one holder in at a time, with exit code 16 for the second', () => {
    const d = dir();
    const lock = acquireLock(d);
    expect(lockHolder(d)).toBe(process.pid);
    expect(() => acquireLock(d)).toThrow(expect.objectContaining({ exitCode: 16 }));
    expect(lock.held()).toBe(true);
    lock.release();
    expect(existsSync(join(d, 'lock'))).toBe(false);
    acquireLock(d).release();
  });
  it('takes over a lock whose owner is dead, leaving no stray files', () => {
    const d = dir();
    writeFileSync(join(d, 'lock'), `999999999 12345\n`);
    const lock = acquireLock(d);
    expect(readFileSync(join(d, 'lock'), 'utf8')).toBe(
      `${process.pid} ${processStartTime(process.pid)}\n`,
    );
    expect(readdirSync(d)).toEqual(['lock']);
    lock.release();
    expect(readdirSync(d)).toEqual([]);
  });
  // The old lock was created empty and written afterwards: a second run that read it in
  // between took it for a dead owner's, removed it, and both ran.
  it('never takes an empty or garbled lock for a dead one: exit 16, the file stays', () => {
    for (const content of ['', '12']) {
      const d = dir();
      writeFileSync(join(d, 'lock'), content);
      expect(() => acquireLock(d)).toThrow(
        expect.objectContaining({
          exitCode: 16,
          message: expect.stringMatching(/may be starting/),
        }),
      );
      expect(readFileSync(join(d, 'lock'), 'utf8')).toBe(content);
    }
  });
  it('a holder whose lock was taken over knows it (held() before the frozen marker)', () => {
    const d = dir();
    const lock = acquireLock(d);
    writeFileSync(join(d, 'lock'), '1 1\n');
    expect(lock.held()).toBe(false);
    lock.release(); // not ours: left alone
    expect(readFileSync(join(d, 'lock'), 'utf8')).toBe('1 1\n');
  });
  // A really full one (ENOSPC, no inodes left): test/integration/lock.test.ts, on a tiny tmpfs.
  it('a state directory path that is a file is exit 1 with one clear line, and nothing written', () => {
    const d = dir();
    // root ignores mode bits; a file in place of the directory fails for everyone
    const file = join(d, 'not-a-dir');
    writeFileSync(file, '');
    expect(() => acquireLock(file)).toThrow(
      expect.objectContaining({ exitCode: 1, message: expect.stringMatching(/state directory/) }),
    );
    expect(readdirSync(d)).toEqual(['not-a-dir']);
    expect(readFileSync(file, 'utf8')).toBe('');
  });
  it('names the live holder, and says whose lock it is', () => {
    const d = dir();
    const lock = acquireLock(d);
    expect(() => acquireLock(d)).toThrow(
      expect.objectContaining({
        exitCode: 16,
        message: `another app-snapshot-plugin run (pid ${process.pid}) is in progress; lock ${join(d, 'lock')}`,
      }),
    );
    lock.release();
  });
  it('reads only a whole "pid starttime" line: anything around it is garbled, never a dead owner', () => {
    for (const content of [
      `x${process.pid} 1\n`,
      `999999999 1\nmore`,
      `999999999 1`,
      ' 999999999 1\n',
    ]) {
      const d = dir();
      writeFileSync(join(d, 'lock'), content);
      expect(() => acquireLock(d), JSON.stringify(content)).toThrow(
        expect.objectContaining({ exitCode: 16, message: expect.stringMatching(/garbled/) }),
      );
      expect(readFileSync(join(d, 'lock'), 'utf8')).toBe(content);
      expect(lockHolder(d)).toBeUndefined();
    }
    const empty = dir();
    writeFileSync(join(empty, 'lock'), '');
    expect(() => acquireLock(empty)).toThrow(/the lock file is empty/);
  });
  it('a lock that cannot be read is never taken for a dead one', () => {
    const d = dir();
    mkdirSync(join(d, 'lock')); // EISDIR on read
    expect(() => acquireLock(d)).toThrow(
      expect.objectContaining({
        exitCode: 16,
        message: expect.stringMatching(/lock file is EISDIR/),
      }),
    );
  });
  it('a dead owner whose lock another run took over meanwhile: put back, and that run wins', () => {
    // The lock we would take over changes under us: what we moved is not the dead one.
    const d = dir();
    writeFileSync(join(d, 'lock'), '999999999 12345\n');
    // A live run (pid 1, its real start time) replaces the dead lock before our rename lands.
    const live = `1 ${processStartTime(1)}\n`;
    // node:fs's own object, and the ESM bindings lock.ts imports, both patched.
    const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
    const rename = fs.renameSync;
    let swapped = false;
    fs.renameSync = ((from: string, to: string) => {
      if (!swapped && from === join(d, 'lock')) {
        swapped = true;
        writeFileSync(from, live);
      }
      return rename(from, to);
    }) as typeof fs.renameSync;
    syncBuiltinESMExports();
    try {
      expect(() => acquireLock(d)).toThrow(expect.objectContaining({ exitCode: 16 }));
    } finally {
      fs.renameSync = rename;
      syncBuiltinESMExports();
    }
    expect(swapped).toBe(true);
    expect(readFileSync(join(d, 'lock'), 'utf8')).toBe(live);
    expect(readdirSync(d)).toEqual(['lock']);
  });
  it('says what went wrong with the state directory in words, not only errno codes', () => {
    const err = (code: string) => Object.assign(new Error(code), { code });
    expect(stateDirProblem('/s', 'write the lock in', err('ENOSPC')).message).toBe(
      'cannot write the lock in the state directory /s: the filesystem is full (ENOSPC)',
    );
    expect(stateDirProblem('/s', 'create', err('EDQUOT')).message).toMatch(
      /: the disk quota is exhausted \(EDQUOT\)$/,
    );
    expect(stateDirProblem('/s', 'create', err('EROFS')).message).toMatch(
      /: the filesystem is read-only \(EROFS\)$/,
    );
    expect(stateDirProblem('/s', 'create', err('EACCES')).message).toMatch(
      /: permission denied \(EACCES\)$/,
    );
    expect(stateDirProblem('/s', 'create', err('EIO')).message).toBe(
      'cannot create the state directory /s: EIO',
    );
    expect(stateDirProblem('/s', 'create', err('EIO')).exitCode).toBe(1);
  });
  it('refuses a state directory that is not a directory, or is group-writable', () => {
    const d = dir();
    const file = join(d, 'file');
    writeFileSync(file, '');
    // A file where the directory should be: mkdir -p fails first (EEXIST is not a directory).
    expect(() => ensureStateDir(file)).toThrow(
      expect.objectContaining({
        exitCode: 1,
        message: `cannot create the state directory ${file}: EEXIST`,
      }),
    );
    const link = join(d, 'link');
    symlinkSync(d, link);
    expect(() => ensureStateDir(link)).toThrow(/must be a directory owned by the agent's user/);
    const group = join(d, 'group');
    mkdirSync(group, { mode: 0o700 });
    chmodSync(group, 0o720);
    expect(() => ensureStateDir(group)).toThrow(/not writable by others/);
    const mine = join(d, 'mine');
    ensureStateDir(mine);
    expect(statSync(mine).mode & 0o777).toBe(0o700);
  });
  it('tells a live process from a reused pid by start time', () => {
    expect(isAlive(process.pid, processStartTime(process.pid))).toBe(true);
    expect(isAlive(process.pid, '1')).toBe(false);
  });
  it('refuses a state directory others can write to', () => {
    const d = dir();
    chmodSync(d, 0o777);
    expect(() => ensureStateDir(d)).toThrow(/not writable by others/);
  });
});

/** Runs `fn` with node:fs's `name` replaced (lock.ts's ESM bindings too), then restores it. */
function withFs<K extends 'linkSync' | 'writeSync' | 'readFileSync' | 'renameSync'>(
  name: K,
  impl: (real: (typeof import('node:fs'))[K]) => (typeof import('node:fs'))[K],
  fn: () => void,
): void {
  const fs = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
  const real = fs[name];
  fs[name] = impl(real);
  syncBuiltinESMExports();
  try {
    fn();
  } finally {
    fs[name] = real;
    syncBuiltinESMExports();
  }
}
const errno = (code: string) => Object.assign(new Error(`${code}: injected`), { code });

describe('lock: the file system failing under it (node:fs patched)', () => {
  it('a write of the lock that fails: exit 1 naming the write, and no temporary file left', () => {
    const d = dir();
    withFs(
      'writeSync',
      () => () => {
        throw errno('ENOSPC');
      },
      () =>
        expect(() => acquireLock(d)).toThrow(
          expect.objectContaining({
            exitCode: 1,
            message: `cannot write the lock in the state directory ${d}: the filesystem is full (ENOSPC)`,
          }),
        ),
    );
    expect(readdirSync(d)).toEqual([]);
  });

  it('a link that fails other than EEXIST: exit 1 naming the create, no lock and no temporary file', () => {
    const d = dir();
    withFs(
      'linkSync',
      () => () => {
        throw errno('EPERM');
      },
      () =>
        expect(() => acquireLock(d)).toThrow(
          expect.objectContaining({
            exitCode: 1,
            message: `cannot create the lock in the state directory ${d}: EPERM`,
          }),
        ),
    );
    expect(readdirSync(d)).toEqual([]);
  });

  it('a lock that is gone by the time it is read is tried again, and taken', () => {
    const d = dir();
    writeFileSync(join(d, 'lock'), '999999999 1\n');
    let links = 0;
    withFs(
      'linkSync',
      (real) => (from, to) => {
        // the first attempt finds the lock; it vanishes before it is read
        if (links++ === 0) {
          rmSync(join(d, 'lock'));
          throw errno('EEXIST');
        }
        return real(from, to);
      },
      () => {
        const lock = acquireLock(d);
        expect(lock.held()).toBe(true);
        lock.release();
      },
    );
    expect(links).toBe(2);
    expect(readdirSync(d)).toEqual([]);
  });

  it('gives up after five rounds of a lock that keeps coming back dead: exit 16, says so', () => {
    const d = dir();
    let links = 0;
    withFs(
      'linkSync',
      () => () => {
        links++;
        writeFileSync(join(d, 'lock'), '999999999 1\n'); // another dead one each time
        throw errno('EEXIST');
      },
      () =>
        expect(() => acquireLock(d)).toThrow(
          expect.objectContaining({
            exitCode: 16,
            message: `another app-snapshot-plugin run keeps taking the lock; lock ${join(d, 'lock')}`,
          }),
        ),
    );
    expect(links).toBe(5);
    expect(readdirSync(d).filter((f) => f.endsWith('.tmp') || f.includes('.stale.'))).toEqual([]);
  });

  it('a dead lock that someone else moves away first is left to them', () => {
    const d = dir();
    writeFileSync(join(d, 'lock'), '999999999 1\n');
    let renames = 0;
    withFs(
      'renameSync',
      () => () => {
        renames++;
        rmSync(join(d, 'lock'), { force: true }); // the other run took it
        throw errno('ENOENT');
      },
      () => {
        const lock = acquireLock(d);
        expect(lock.held()).toBe(true);
        lock.release();
      },
    );
    expect(renames).toBe(1);
  });
});

describe('lock: ownership', () => {
  it.runIf(process.getuid?.() === 0)('refuses a state directory owned by another user', () => {
    const d = join(dir(), 'state');
    mkdirSync(d, { mode: 0o700 });
    chownSync(d, 4242, 4242);
    expect(() => ensureStateDir(d)).toThrow(
      `state directory ${d} must be a directory owned by the agent's user and not writable by others`,
    );
  });

  it('a lock file removed from under its holder is no longer held (no frozen marker then)', () => {
    const d = dir();
    const lock = acquireLock(d);
    rmSync(join(d, 'lock'));
    expect(lock.held()).toBe(false);
    lock.release(); // nothing to remove, no error
    expect(readdirSync(d)).toEqual([]);
  });

  it('a state-directory error keeps its cause', () => {
    const cause = Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' });
    expect(stateDirProblem('/s', 'create', cause).cause).toBe(cause);
  });
});
