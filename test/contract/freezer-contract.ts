// The conformance suite every Freezer passes (see src/freeze/types.ts).
import { describe, expect, it } from 'vitest';
import { Deadline } from '../../src/system/clock.js';
import type { Freezer } from '../../src/freeze/types.js';

export interface FreezerFixture {
  readonly freezer: Freezer;
  /** Mount points the fixture's freeze mechanism currently holds frozen. */
  frozen(): string[];
  /** The same fixture, whose freeze of `mount` fails. */
  failing(mount: string): Promise<FreezerFixture> | FreezerFixture;
  /** The same fixture, where someone else has frozen `mount` already (FIFREEZE: EBUSY). */
  frozenByOthers(mount: string): Promise<FreezerFixture> | FreezerFixture;
}

export function describeFreezerContract(
  label: string,
  make: () => Promise<FreezerFixture> | FreezerFixture,
): void {
  describe(`freezer contract: ${label}`, () => {
    it('freezes every mount and thaws every one of them', async () => {
      const f = await make();
      await f.freezer.prepare();
      const out = await f.freezer.freeze([['/c1', '/c2'], ['/p']], new Deadline(30_000));
      expect([...out.frozen].sort()).toEqual(['/c1', '/c2', '/p']);
      expect(f.frozen().sort()).toEqual(['/c1', '/c2', '/p']);
      await f.freezer.thaw();
      expect(f.frozen()).toEqual([]);
      await f.freezer.dispose();
    });

    it('rolls back a partial freeze and leaves nothing frozen, with exit code 11', async () => {
      const f = await (await make()).failing('/p');
      await f.freezer.prepare();
      await expect(f.freezer.freeze([['/c1'], ['/p']], new Deadline(30_000))).rejects.toMatchObject(
        {
          exitCode: 11,
        },
      );
      expect(f.frozen()).toEqual([]);
      await f.freezer.dispose();
    });

    it('never thaws a filesystem someone else froze: the freeze fails, that one stays frozen', async () => {
      const f = await (await make()).frozenByOthers('/theirs');
      await f.freezer.prepare();
      await expect(
        f.freezer.freeze([['/mine'], ['/theirs']], new Deadline(30_000)),
      ).rejects.toMatchObject({
        exitCode: 11,
        details: { mount: '/theirs', rolledBack: ['/mine'] },
      });
      await f.freezer.thaw();
      await f.freezer.dispose();
      expect(f.frozen()).toEqual(['/theirs']);
    });

    it('thaw is idempotent and dispose is safe on every path', async () => {
      const f = await make();
      await f.freezer.prepare();
      await f.freezer.freeze([['/a']], new Deadline(30_000));
      await f.freezer.thaw();
      await f.freezer.thaw();
      await f.freezer.dispose();
      await f.freezer.dispose();
      expect(f.frozen()).toEqual([]);
      const unused = await make();
      await unused.freezer.dispose();
    });
  });
}
