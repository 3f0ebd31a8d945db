// `fleet prune` over three emulated instances (tools/emulator/region.ts), each with its own lab:
// groups made by `fleet run` (the real agent through Cloud Assistant), then the operator prunes
// with its own credentials. The dry run's plan and the real prune agree, instance by instance,
// and what is left on each lab is what the plan kept.
import { describe, expect, it } from 'vitest';
import { requireRoot } from '../support/lab.js';
import { labRegionForThisFile } from '../support/lab-region.js';
import { operatorCli } from '../support/operator.js';
import { listGroups } from '../support/vm.js';

describe.skipIf(!requireRoot())('fleet prune over emulated instances', () => {
  const f = labRegionForThisFile({
    instances: [
      [1, 'ext4'],
      [1, 'ext4'],
      [1, 'ext4'],
    ],
    instance: (i) => ({ tags: { prune: 'yes' }, name: `p${i}` }),
    prefix: 'asp-fprune-',
  });

  const cli = (args: string[]) => operatorCli(f.region, f.operator, args, { home: f.dir });
  type Plan = {
    ExitCode: number;
    Instances: {
      InstanceId: string;
      Groups: { SnapshotGroupId: string; Keep: boolean }[];
      Deleted: string[];
      NotDeleted: unknown[];
    }[];
  };

  it('the dry run and the real prune agree on every instance; what is left is what was kept', async () => {
    for (let n = 0; n < 3; n++) {
      const r = await cli([
        'fleet',
        'run',
        '-InstanceTag=prune=yes',
        '-Region=cn-hangzhou',
        '-Name=nightly',
        '-Engine=ecs',
        '-RamRoleName=AppSnapshotRoleName',
      ]);
      expect(r.code).toBe(0);
    }
    for (const lab of f.labs) expect(listGroups(lab.pool)).toHaveLength(3);
    const args = [
      'fleet',
      'prune',
      '-InstanceTag=prune=yes',
      '-Region=cn-hangzhou',
      '--keep-last=1',
      '--output=json',
    ];
    const dry = await cli([...args, '--dry-run']);
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as Plan;
    expect(plan.Instances).toHaveLength(3);
    for (const lab of f.labs) expect(listGroups(lab.pool)).toHaveLength(3);
    const real = await cli(args);
    expect(real.code).toBe(0);
    const done = JSON.parse(real.stdout) as Plan;
    for (const p of plan.Instances) {
      const d = done.Instances.find((x) => x.InstanceId === p.InstanceId)!;
      const removed = p.Groups.filter((g) => !g.Keep).map((g) => g.SnapshotGroupId);
      expect(removed).toHaveLength(2);
      expect(d.Deleted).toEqual(removed);
      expect(d.NotDeleted).toEqual([]);
    }
    for (const lab of f.labs) expect(listGroups(lab.pool)).toHaveLength(1);
    // Without a keep option: exit 2, nothing listed.
    const none = await cli(['fleet', 'prune', '-InstanceTag=prune=yes', '-Region=cn-hangzhou']);
    expect(none.code).toBe(2);
    for (const lab of f.labs) expect(listGroups(lab.pool)).toHaveLength(1);
  });
});
