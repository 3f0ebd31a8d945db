import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmp } from '../../support/tmp.js';
import {
  acquireLock,
  ensureStateDir,
  isAlive,
  processStartTime,
} from '../../../src/system/lock.js';

const dir = () => tmp('asp-lock-');

describe('lock', () => {
  it('lets one holder in at a time, with exit code 16 for the second', () => {
    const d = dir();
    const lock = acquireLock(d);
    expect(() => acquireLock(d)).toThrow(expect.objectContaining({ exitCode: 16 }));
    lock.release();
    acquireLock(d).release();
  });
  it('takes over a lock whose owner is dead', () => {
    const d = dir();
    chmodSync(d, 0o700);
    writeFileSync(join(d, 'lock'), `999999999 12345\n`);
    const lock = acquireLock(d);
    lock.release();
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
