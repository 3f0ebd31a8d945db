import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmp } from '../../support/tmp.js';
import { acquireLock, ensureStateDir, lockHolder } from '../../../src/system/lock.js';
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
