// The conformance suite of a Helper (src/system/runner.ts): the watchdog's pipe pair, under
// Node (helper.ts) and through Bun.spawn (bun-spawn.ts).
import { describe, expect, it } from 'vitest';
import type { Helper } from '../../src/system/runner.js';

export function describeHelperContract(
  label: string,
  spawn: (file: string, args: string[]) => Helper,
): void {
  const sh = (script: string) => spawn('/bin/sh', ['-c', script]);
  const linesOf = (h: Helper) => {
    const lines: string[] = [];
    h.onLine((l) => lines.push(l));
    return lines;
  };

  describe(`helper contract: ${label}`, () => {
    it('what is sent reaches it in order, its lines come back in order, then its exit code', async () => {
      const h = sh('while read l; do echo "got $l"; done; exit 3');
      const lines = linesOf(h);
      h.send('one\n');
      h.send('two\nthree\n');
      h.end();
      expect(await h.exited).toBe(3);
      await h.drained;
      expect(lines).toEqual(['got one', 'got two', 'got three']);
    });

    it('keeps the lines that came before anyone listened, and a last line without its newline', async () => {
      const h = sh("printf 'early\\r\\nsecond\\nlast'");
      await h.exited;
      await h.drained;
      const lines = linesOf(h);
      expect(lines).toEqual([]); // never inside onLine(): the caller first says what it waits for
      await Promise.resolve();
      expect(lines).toEqual(['early', 'second', 'last']);
    });

    it('drained waits for every line: a burst written just before it exits is all there', async () => {
      const h = sh('i=0; while [ $i -lt 2000 ]; do echo "line $i"; i=$((i+1)); done');
      const lines = linesOf(h);
      await h.drained;
      expect(lines).toHaveLength(2000);
      expect(lines.at(-1)).toBe('line 1999');
    });

    it('killed by a signal: no exit code; sending to it or ending it then is no error', async () => {
      const h = sh('kill -9 $$');
      expect(await h.exited).toBeUndefined();
      await h.drained;
      h.send('anyone there?\n');
      h.end();
      h.end();
      h.send('after the end\n');
      await new Promise((r) => setTimeout(r, 50)); // an asynchronous write error would land here
    });

    it('end() closes its stdin: a helper waiting for its input ends', async () => {
      const h = sh('cat > /dev/null; echo done');
      const lines = linesOf(h);
      h.end();
      expect(await h.exited).toBe(0);
      await h.drained;
      expect(lines).toEqual(['done']);
    });
  });
}
