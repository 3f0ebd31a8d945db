import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { tmp } from '../../support/tmp.js';
import {
  INVOCATION_TAIL_BYTES,
  decodeOutput,
  invocationResult,
  writeRunLog,
} from '../../../src/report/output.js';

describe('invocation output', () => {
  it('base64-encodes the whole log when it fits', () => {
    const r = invocationResult(0, 'hello\n');
    expect(r).toEqual({
      ExitCode: 0,
      Output: Buffer.from('hello\n').toString('base64'),
      Dropped: 0,
    });
    expect(decodeOutput(r.Output)).toBe('hello\n');
    expect(decodeOutput(JSON.stringify(r))).toBe('hello\n');
  });
  it('keeps the tail, so the last line (the group id) survives', () => {
    const text = `${'x'.repeat(100_000)}\n[snapshotgroup="ssg-1"] [message="Finish"]\n`;
    const r = invocationResult(0, text);
    expect(r.Dropped).toBe(Buffer.byteLength(text) - INVOCATION_TAIL_BYTES);
    expect(decodeOutput(r.Output)).toMatch(/ssg-1.*Finish/);
  });
  // A worker thread cannot set the umask: npm run mutate runs the suite in threads (StrykerJS's
  // vitest runner), and report/output.ts is outside its scope; npm test runs it in processes.
  it.runIf(isMainThread)('writes the run log privately, whatever the umask', async () => {
    const dir = join(tmp(), 'logs');
    const old = process.umask(0);
    try {
      const path = await writeRunLog(dir, 'line\n', new Date('2026-01-02T03:04:05Z'));
      expect(path).toMatch(/app-snapshot-plugin-20260102-030405-\d+\.log$/);
      expect(readFileSync(path, 'utf8')).toBe('line\n');
      expect(statSync(path).mode & 0o777).toBe(0o600);
      expect(readdirSync(dir)).toEqual([basename(path)]);
    } finally {
      process.umask(old);
    }
  });
  it('says why a log directory cannot be used, and leaves nothing behind', async () => {
    const base = tmp();
    writeFileSync(join(base, 'file'), '');
    await expect(writeRunLog(join(base, 'file'), 'x')).rejects.toThrow(
      /mkdir: cannot create directory .*File exists/,
    );
    const dir = join(base, 'logs');
    mkdirSync(dir);
    // A directory where the temporary file cannot be made: the write fails, nothing stays.
    mkdirSync(join(dir, 'app-snapshot-plugin-20260102-030405-' + process.pid + '.log.tmp'));
    await expect(writeRunLog(dir, 'x', new Date('2026-01-02T03:04:05Z'))).rejects.toThrow(
      /Is a directory/,
    );
    expect(readdirSync(dir)).toEqual([
      `app-snapshot-plugin-20260102-030405-${process.pid}.log.tmp`,
    ]);
  });
});
