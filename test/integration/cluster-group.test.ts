// One snapshot group over the disks of several emulated instances (tools/emulator/
// cluster-groups.ts), through the same signed client the agent uses: what the coordinator of a
// cluster-consistent snapshot will call. Real clones in each instance's own pool.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ecsClient, EcsApiError, type EcsApi } from '../../src/cloud/client.js';
import { STAND_IN } from '../support/operator.js';
import { Region } from '../../tools/emulator/region.js';
import { agentArgv, requireRoot, TestLab } from '../support/lab.js';

interface Snap {
  SnapshotId: string;
  SourceDiskId: string;
  Tags: { Tag: { Key: string; Value: string }[] };
}
interface GroupView {
  SnapshotGroupId: string;
  InstanceId: string;
  Status: string;
  Snapshots: { Snapshot: Snap[] };
}

describe.skipIf(!requireRoot())('snapshot groups across instances', () => {
  const labs: TestLab[] = [];
  let region: Region;
  let api: EcsApi;
  const disksOf = (lab: TestLab) => lab.state.disks.map((d) => d.id);

  beforeAll(async () => {
    labs.push(await new TestLab().up(2), await new TestLab().up(1), await new TestLab().up(1));
    const inst = (lab: TestLab, zoneId?: string) => ({
      pool: lab.pool,
      byIdDir: join(lab.root, 'by-id'),
      stateDir: lab.stateDir,
      logDir: lab.logDir,
      ...(zoneId ? { zoneId } : {}),
    });
    region = new Region({
      agent: agentArgv(),
      pluginManager: STAND_IN,
      progressMs: 100,
      instances: [inst(labs[0]!), inst(labs[1]!), inst(labs[2]!, 'cn-hangzhou-k')],
    });
    await region.start();
    const key = region.sts.issueAccessKey();
    api = ecsClient({
      endpoint: region.url,
      credentials: () =>
        Promise.resolve({ ...key, securityToken: '', expiration: new Date(8.64e15).toISOString() }),
      timeoutMs: 10_000,
    });
  });
  afterAll(async () => {
    await region?.stop();
    for (const l of labs) await l.down();
  });

  const create = (disks: string[], token: string) =>
    api.call<{ SnapshotGroupId: string }>('CreateSnapshotGroup', {
      RegionId: 'cn-hangzhou',
      Name: 'cluster1',
      ClientToken: token,
      ...Object.fromEntries(disks.map((d, n) => [`DiskId.${n + 1}`, d])),
    });
  const describeGroup = async (id: string) =>
    (
      await api.call<{ SnapshotGroups: { SnapshotGroup: GroupView[] } }>('DescribeSnapshotGroups', {
        RegionId: 'cn-hangzhou',
        'SnapshotGroupId.1': id,
      })
    ).SnapshotGroups.SnapshotGroup;
  const clones = (lab: TestLab) => {
    const dir = join(lab.pool, 'groups');
    return existsSync(dir)
      ? readdirSync(dir).flatMap((g) => readdirSync(join(dir, g)).filter((f) => f.endsWith('.img')))
      : [];
  };

  it('one call, the disks of two instances: one group, each disk cloned in its own pool', async () => {
    const disks = [...disksOf(labs[0]!), ...disksOf(labs[1]!)];
    const { SnapshotGroupId: id } = await create(disks, 'tok-1');
    expect(clones(labs[0]!)).toHaveLength(2);
    expect(clones(labs[1]!)).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 300));
    const [g] = await describeGroup(id);
    expect(g).toMatchObject({ SnapshotGroupId: id, InstanceId: '', Status: 'accomplished' });
    expect(g!.Snapshots.Snapshot.map((s) => s.SourceDiskId).sort()).toEqual([...disks].sort());
    // The same ClientToken: the same group, nothing cloned again.
    expect((await create(disks, 'tok-1')).SnapshotGroupId).toBe(id);
    expect(clones(labs[0]!)).toHaveLength(2);
    // Tagging snapshots of both instances in one call.
    const ids = g!.Snapshots.Snapshot.map((s) => s.SnapshotId);
    await api.call('TagResources', {
      RegionId: 'cn-hangzhou',
      ResourceType: 'snapshot',
      'Tag.1.Key': 'ClusterConsistent',
      'Tag.1.Value': 'True',
      ...Object.fromEntries(ids.map((s, n) => [`ResourceId.${n + 1}`, s])),
    });
    const [tagged] = await describeGroup(id);
    for (const s of tagged!.Snapshots.Snapshot)
      expect(s.Tags.Tag).toEqual([{ Key: 'ClusterConsistent', Value: 'True' }]);
    // The parts are not listed as groups of their own.
    const all = await api.call<{ SnapshotGroups: { SnapshotGroup: GroupView[] } }>(
      'DescribeSnapshotGroups',
      { RegionId: 'cn-hangzhou' },
    );
    expect(all.SnapshotGroups.SnapshotGroup.map((x) => x.SnapshotGroupId)).toEqual([id]);
    await api.call('DeleteSnapshotGroup', { RegionId: 'cn-hangzhou', SnapshotGroupId: id });
    expect(clones(labs[0]!)).toEqual([]);
    expect(clones(labs[1]!)).toEqual([]);
  });

  it('refused like the API: another zone, an unknown disk, more than 128 disks; nothing cloned', async () => {
    const refused = async (disks: string[]) => {
      try {
        await create(disks, `tok-${disks.length}-${disks[0]}`);
      } catch (e) {
        return (e as EcsApiError).code;
      }
      return 'created';
    };
    expect(await refused([...disksOf(labs[0]!), ...disksOf(labs[2]!)])).toBe(
      'DiskId.ValueNotSupported',
    );
    expect(await refused([disksOf(labs[0]!)[0]!, 'd-nosuchdisk0000000000'])).toBe(
      'InvalidDiskId.NotFound',
    );
    const many = Array.from({ length: 129 }, (_, i) => `d-${String(i).padStart(20, '0')}`);
    expect(await refused(many)).toBe('DiskId.ValueNotSupported');
    for (const l of labs) expect(clones(l)).toEqual([]);
  });

  it("each instance's own groups are still its own", async () => {
    const r = await api.call<{ SnapshotGroupId: string }>('CreateSnapshotGroup', {
      RegionId: 'cn-hangzhou',
      InstanceId: region.instances[1]!.id,
      Name: 'single',
    });
    const g = JSON.parse(
      readFileSync(join(labs[1]!.pool, 'groups', r.SnapshotGroupId, 'group.json'), 'utf8'),
    );
    expect(g.snapshots).toHaveLength(1);
  });
});
