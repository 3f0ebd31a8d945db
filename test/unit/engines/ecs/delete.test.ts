// DeleteSnapshotGroup as the API answers it: refused while the group is being made, and a 200
// whose OperationProgressSet says a snapshot stayed is a failed delete, on the engine's path and
// on fleet prune's.
import { afterEach, describe, expect, it } from 'vitest';
import { instanceGroups } from '../../../../src/fleet/prune.js';
import { CREATED_BY } from '../../../../src/retention/mark.js';
import { ecsOn, emulatorForThisFile } from '../../../support/emulator.js';

const emulator = emulatorForThisFile({ progressMs: 10 });

describe('DeleteSnapshotGroup', () => {
  afterEach(() => {
    emulator.faults = {};
  });
  const make = async (token: string) => {
    const { engine } = ecsOn(emulator);
    const disks = (await engine.describeDisks()).map((d) => d.id);
    return engine.createGroup({
      name: 'deletes',
      description: '',
      diskIds: disks,
      instantAccess: false,
      instantAccessRetentionDays: 1,
      clientToken: token,
      tags: { [CREATED_BY.key]: CREATED_BY.value },
    });
  };

  it('is refused while the group is being made; the group stays', async () => {
    emulator.faults = { stuck: true };
    const g = await make('stuck-1');
    const { engine } = ecsOn(emulator);
    await expect(engine.deleteGroup(g.id)).rejects.toThrow(/Operation\.Forbidden/);
    expect((await engine.listGroups()).some((x) => x.id === g.id)).toBe(true);
  });

  it('a 200 with a failed snapshot is a failed delete that names it (engine and fleet prune)', async () => {
    const g = await make('partial-1');
    await new Promise((r) => setTimeout(r, 30));
    const { engine, api, metadata } = ecsOn(emulator);
    const snap = (await engine.describeGroup(g.id)).snapshots[0]!.id;
    emulator.faults = { 'delete-partial': true };
    await expect(engine.deleteGroup(g.id)).rejects.toThrow(
      new RegExp(`DeleteSnapshotGroup ${g.id}: ${snap}: SnapshotCreatedImage`),
    );
    const fleet = instanceGroups(api, await metadata.regionId(), await metadata.instanceId());
    await expect(fleet.deleteGroup(g.id)).rejects.toThrow(/SnapshotCreatedImage/);
    emulator.faults = {};
    await engine.deleteGroup(g.id);
    expect((await engine.listGroups()).some((x) => x.id === g.id)).toBe(false);
  });
});
