// The conformance suite every AppQuiescer passes (see src/apps/types.ts).
import { describe, expect, it } from 'vitest';
import type { AppQuiescer, GroupLayout } from '../../src/apps/types.js';

const EVERYTHING: GroupLayout = { inGroup: () => true };

export interface QuiescerFixture {
  readonly quiescer: AppQuiescer;
  /** Makes the application drop the lock (session killed, timed out). */
  lose(): void;
  /** What prepare() is told about the group's disks (default: everything is in it). */
  readonly layout?: GroupLayout;
  /** False for a mode that takes nothing (PostgreSQL atomic): losing the session loses nothing. */
  readonly holdsLock?: boolean;
}

export function describeQuiescerContract(label: string, make: () => QuiescerFixture): void {
  describe(`quiescer contract: ${label}`, () => {
    it('holds its lock until release; release and close are idempotent', async () => {
      const f = make();
      const q = f.quiescer;
      await q.prepare(f.layout ?? EVERYTHING);
      expect(q.plan()).not.toBe('');
      const held = await q.quiesce(30);
      expect(held.mode).not.toBe('');
      expect(Object.values(held.facts).every((v) => typeof v === 'string' && v.length <= 128)).toBe(
        true,
      );
      expect(await held.verify()).toBe(true);
      await held.afterThaw?.();
      await held.release();
      await held.release();
      await q.close();
      await q.close();
    });

    it('a lost lock fails verification (nothing held: nothing lost) and release still succeeds', async () => {
      const f = make();
      await f.quiescer.prepare(f.layout ?? EVERYTHING);
      const held = await f.quiescer.quiesce(30);
      f.lose();
      expect(await held.verify()).toBe(f.holdsLock === false);
      await held.release();
      await f.quiescer.close();
    });

    it('close is safe before anything happened', async () => {
      await make().quiescer.close();
    });
  });
}
