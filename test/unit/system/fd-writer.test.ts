// Output straight to a descriptor (src/system/fd-writer.ts), with the stream as the fallback.
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fdWriter } from '../../../src/system/fd-writer.js';

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('fdWriter', () => {
  it('writes to the descriptor itself: a real file gets every byte, in order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'asp-fdw-'));
    try {
      const fd = openSync(join(dir, 'out'), 'w');
      const stream = { write: () => expect.unreachable('the stream is the fallback only') };
      const out = fdWriter(fd, () => stream);
      out('first line\n');
      out('zweite Zeile, 第二\n');
      closeSync(fd);
      expect(readFileSync(join(dir, 'out'), 'utf8')).toBe('first line\nzweite Zeile, 第二\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('finishes short writes; a full non-blocking descriptor (EAGAIN) hands the rest and all later writes to the stream', () => {
    const fdBytes: string[] = [];
    const streamed: string[] = [];
    let calls = 0;
    const write = (_fd: number, data: Uint8Array) => {
      if (++calls === 3) throw errno('EAGAIN');
      const n = Math.min(2, data.length);
      fdBytes.push(Buffer.from(data.subarray(0, n)).toString());
      return n;
    };
    const out = fdWriter(
      1,
      () => ({ write: (d: string | Uint8Array) => streamed.push(Buffer.from(d).toString()) }),
      write,
    );
    out('abcdef');
    out('later');
    expect(fdBytes.join('')).toBe('abcd');
    expect(streamed).toEqual(['ef', 'later']);
  });

  it('a reader that is gone (EPIPE) costs the output, not the run', () => {
    const out = fdWriter(
      1,
      () => expect.unreachable('not for EPIPE'),
      () => {
        throw errno('EPIPE');
      },
    );
    expect(() => out('nobody reads this\n')).not.toThrow();
  });
});
