// RetentionDays as the cloud keeps it: on the emulator's own clock, which a test advances, a
// snapshot is deleted once its days have passed since creation, and its group goes with the
// last of them. The agent's ecs engine sees what a real region would show.
import { describe, expect, it } from 'vitest';
import { ecsOn, emulatorForThisFile } from '../../../support/emulator.js';

const DAY = 86_400_000;
const emulator = emulatorForThisFile({ progressMs: 10 });

describe('RetentionDays on the emulator clock', () => {
  const make = async (token: string) => {
    const { engine } = ecsOn(emulator);
    const g = await engine.createGroup({
      name: 'expiry',
      description: '',
      diskIds: (await engine.describeDisks()).map((d) => d.id),
      instantAccess: false,
      instantAccessRetentionDays: 1,
      clientToken: token,
    });
    emulator.advanceClock(20); // past progressMs on the emulator's clock alone
    return { engine, g: await engine.describeGroup(g.id) };
  };

  it('deletes each snapshot when its days have passed, and the group with the last one', async () => {
    const { engine, g } = await make('expiry-1');
    expect(g.status).toBe('accomplished');
    const [first, second] = g.snapshots.map((s) => s.id) as [string, string];
    await engine.setRetention([first, second], 3);
    await engine.setRetention([second], 5);
    emulator.advanceClock(3 * DAY - 60_000);
    expect((await engine.describeGroup(g.id)).snapshots.map((s) => s.id)).toEqual([first, second]);
    emulator.advanceClock(60_000);
    // Three days since creation: the first is gone, the extended one stays.
    const left = await engine.describeGroup(g.id);
    expect(left.snapshots.map((s) => [s.id, s.retentionDays])).toEqual([[second, 5]]);
    // What the cloud deleted cannot be tagged or kept longer any more.
    await expect(engine.tagSnapshots([first], { X: 'y' })).rejects.toMatchObject({ exitCode: 8 });
    await expect(engine.setRetention([first], 30)).rejects.toMatchObject({ exitCode: 17 });
    emulator.advanceClock(2 * DAY);
    expect((await engine.listGroups()).some((x) => x.id === g.id)).toBe(false);
    await expect(engine.describeGroup(g.id)).rejects.toThrow();
  });

  it('never expires a snapshot without RetentionDays; the clock only moves ahead', async () => {
    const { engine, g } = await make('expiry-2');
    emulator.advanceClock(65_536 * DAY);
    expect((await engine.describeGroup(g.id)).snapshots).toHaveLength(2);
    expect(() => emulator.advanceClock(-1)).toThrow(/only moves ahead/);
  });
});
