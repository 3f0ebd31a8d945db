// fleet prune's core against the emulator (real HTTP and signatures): the operator's side lists
// an instance's groups over every page, plans, and deletes with DeleteSnapshotGroup; a dry run
// plans the same and deletes nothing.
import { describe, expect, it } from 'vitest';
import { pruneFleet } from '../../../src/fleet/prune.js';
import { CREATED_BY } from '../../../src/retention/mark.js';
import { ecsOn, emulatorForThisFile } from '../../support/emulator.js';

const emulator = emulatorForThisFile({ progressMs: 10 });

describe('fleet prune', () => {
  it('a dry run and the real prune agree; only our groups; groups in progress stay', async () => {
    const { metadata, api, engine } = ecsOn(emulator);
    const disks = (await engine.describeDisks()).map((d) => d.id);
    const make = (i: number, ours = true) =>
      engine.createGroup({
        name: 'nightly',
        description: '',
        diskIds: disks,
        instantAccess: false,
        instantAccessRetentionDays: 1,
        clientToken: `fleet-prune-${i}-${ours}`,
        ...(ours ? { tags: { [CREATED_BY.key]: CREATED_BY.value } } : {}),
      });
    for (let i = 0; i < 12; i++) await make(i);
    await make(99, false);
    await new Promise((r) => setTimeout(r, 50)); // accomplished (progressMs 10)
    const instanceId = await metadata.instanceId();
    const regionId = await metadata.regionId();
    const o = { policy: { last: 3 } };
    const [dry] = await pruneFleet(api, regionId, [instanceId], { ...o, dryRun: true });
    expect(dry!.error).toBeUndefined();
    expect(dry!.report!.decisions).toHaveLength(12);
    const planned = dry!.report!.decisions.filter((d) => !d.keep).map((d) => d.group.id);
    expect(planned).toHaveLength(9);
    expect(await engine.listGroups()).toHaveLength(13);
    const [real] = await pruneFleet(api, regionId, [instanceId], { ...o, dryRun: false });
    expect(real!.report!.deleted).toEqual(planned);
    expect(real!.report!.failed).toEqual([]);
    const left = await engine.listGroups();
    expect(left).toHaveLength(4);
    expect(left.filter((g) => !g.tags?.CreatedBy)).toHaveLength(1);
    // An instance with no groups of ours: nothing to do there; the others go on.
    const [gone, again] = await pruneFleet(api, regionId, ['i-nosuchinstance', instanceId], {
      ...o,
      dryRun: false,
    });
    expect(gone!.report!.decisions).toEqual([]);
    expect(again!.report!.deleted).toEqual([]);
  });
});
