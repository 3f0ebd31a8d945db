// `fleet prune` over three emulated instances (tools/emulator/region.ts), each with its own lab:
// groups made by `fleet run` (the real agent through Cloud Assistant), then the operator prunes
// with its own credentials. The dry run's plan and the real prune agree, instance by instance,
// and what is left on each lab is what the plan kept.
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Region } from '../../tools/emulator/region.js';
import { agentArgv, requireRoot, TestLab } from '../support/lab.js';
import { operatorCli, STAND_IN } from '../support/operator.js';
import { listGroups } from '../support/vm.js';

describe.skipIf(!requireRoot())('fleet prune over emulated instances', () => {
  const labs: TestLab[] = [];
  let region: Region;
  let dir: string;
  let operator: { accessKeyId: string; accessKeySecret: string };

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) labs.push(await new TestLab().up(1, 'ext4'));
    dir = mkdtempSync('/tmp/asp-fprune-');
    region = new Region({
      agent: agentArgv(),
      pluginManager: STAND_IN,
      instances: labs.map((lab, i) => ({
        pool: lab.pool,
        byIdDir: join(lab.root, 'by-id'),
        stateDir: lab.stateDir,
        logDir: lab.logDir,
        tags: { prune: 'yes' },
        name: `p${i}`,
      })),
    });
    await region.start();
    operator = region.sts.issueAccessKey();
  });
  afterAll(async () => {
    await region?.stop();
    for (const l of labs) await l.down();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const cli = (args: string[]) => operatorCli(region, operator, args, { home: dir });
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
    for (const lab of labs) expect(listGroups(lab.pool)).toHaveLength(3);
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
    for (const lab of labs) expect(listGroups(lab.pool)).toHaveLength(3);
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
    for (const lab of labs) expect(listGroups(lab.pool)).toHaveLength(1);
    // Without a keep option: exit 2, nothing listed.
    const none = await cli(['fleet', 'prune', '-InstanceTag=prune=yes', '-Region=cn-hangzhou']);
    expect(none.code).toBe(2);
    for (const lab of labs) expect(listGroups(lab.pool)).toHaveLength(1);
  });
});
