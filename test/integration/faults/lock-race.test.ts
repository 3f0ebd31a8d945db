// Real processes racing for the lock (the built module, as the agent uses it).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmp } from '../../support/tmp.js';

const LOCK_MODULE = join(import.meta.dirname, '../../../dist/system/lock.js');

describe('the lock under contention', () => {
  // Real processes racing for one lock, each holding it briefly: exactly one wins each round.
  it('lets exactly one of 8 simultaneous processes in, round after round', async () => {
    const d = tmp('asp-lock-');
    // Every contender waits for one common moment (well after they have all started), so the
    // attempts really collide whatever the machine's load.
    const contender = (at: number) => `
      import(${JSON.stringify(LOCK_MODULE)}).then(async ({ acquireLock }) => {
        await new Promise((r) => setTimeout(r, Math.max(0, ${at} - Date.now())));
        try {
          const l = acquireLock(${JSON.stringify(d)});
          await new Promise((r) => setTimeout(r, 1000));
          l.release();
          process.stdout.write('won');
        } catch (e) {
          process.stdout.write(e.exitCode === 16 ? 'busy' : 'error:' + e.message);
        }
      });`;
    for (let round = 0; round < 3; round++) {
      const at = Date.now() + 2000;
      const outs = await Promise.all(
        Array.from(
          { length: 8 },
          () =>
            new Promise<string>((resolve) => {
              const c = spawn(process.execPath, ['--input-type=module', '-e', contender(at)]);
              let out = '';
              c.stdout.on('data', (b) => (out += b));
              c.on('close', () => resolve(out));
            }),
        ),
      );
      const won = outs.filter((o) => o === 'won').length;
      expect(
        outs.every((o) => o === 'won' || o === 'busy'),
        outs.join(','),
      ).toBe(true);
      expect(won, outs.join(',')).toBe(1);
    }
  });
});
