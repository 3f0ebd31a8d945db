// The conformance suite every AppQuiescer passes (see src/apps/types.ts).
import { describe, expect, it } from 'vitest';
import type { AppQuiescer, GroupLayout } from '../../src/apps/types.js';

const EVERYTHING: GroupLayout = { inGroup: () => true };

export interface QuiescerFixture {
  readonly quiescer: AppQuiescer;
  /** Makes the application drop the lock (session killed, timed out). */
  lose(): void | Promise<void>;
  /** What prepare() is told about the group's disks (default: everything is in it). */
  readonly layout?: GroupLayout;
  /** False for a mode that takes nothing (PostgreSQL atomic): losing the session loses nothing. */
  readonly holdsLock?: boolean;
  /**
   * Asks the application (the server, never the quiescer) whether its backup lock is held now:
   * the fake servers track the locking statements per session; a real server is probed.
   */
  isLocked(): Promise<boolean> | boolean;
}

export function describeQuiescerContract(label: string, make: () => QuiescerFixture): void {
  describe(`quiescer contract: ${label}`, () => {
    it('holds its lock from quiesce until release (the server says so); release and close are idempotent', async () => {
      const f = make();
      const q = f.quiescer;
      const holds = f.holdsLock !== false;
      await q.prepare(f.layout ?? EVERYTHING);
      expect(await f.isLocked(), 'prepare() locks nothing').toBe(false);
      expect(q.plan()).not.toBe('');
      const held = await q.quiesce(30);
      expect(await f.isLocked(), 'held after quiesce()').toBe(holds);
      expect(held.mode).not.toBe('');
      expect(Object.values(held.facts).every((v) => typeof v === 'string' && v.length <= 128)).toBe(
        true,
      );
      expect(await held.verify()).toBe(true);
      expect(await f.isLocked(), 'still held after verify()').toBe(holds);
      await held.afterThaw?.();
      await held.release();
      expect(await f.isLocked(), 'released by release()').toBe(false);
      await held.release();
      await q.close();
      await q.close();
      expect(await f.isLocked()).toBe(false);
    });

    it('close() without release() still leaves nothing locked (the agent dies politely)', async () => {
      const f = make();
      await f.quiescer.prepare(f.layout ?? EVERYTHING);
      await f.quiescer.quiesce(30);
      await f.quiescer.close();
      expect(await f.isLocked()).toBe(false);
    });

    it('a lost lock fails verification (nothing held: nothing lost) and release still succeeds', async () => {
      const f = make();
      await f.quiescer.prepare(f.layout ?? EVERYTHING);
      const held = await f.quiescer.quiesce(30);
      await f.lose();
      expect(await f.isLocked(), 'the application dropped it').toBe(false);
      expect(await held.verify()).toBe(f.holdsLock === false);
      await held.release();
      await f.quiescer.close();
    });

    it('close is safe before anything happened', async () => {
      await make().quiescer.close();
    });
  });
}
