// The emulator pages DescribeSnapshotGroups as the API documents it (MaxResults 1-100, default
// 10; NextToken): readers that take one page miss groups, and the ecs engine reads them all.
import { describe, expect, it } from 'vitest';
import { allSnapshotGroups } from '../../../../src/cloud/pages.js';
import { ecsOn, emulatorForThisFile } from '../../../support/emulator.js';

const emulator = emulatorForThisFile({ progressMs: 10 });

describe('DescribeSnapshotGroups pages', () => {
  it('10 per page by default, a NextToken to the rest, all of them through allSnapshotGroups', async () => {
    const { metadata, api, engine } = ecsOn(emulator);
    const disks = (await engine.describeDisks()).map((d) => d.id);
    for (let i = 0; i < 12; i++)
      await engine.createGroup({
        name: 'paged',
        description: '',
        diskIds: disks,
        instantAccess: false,
        instantAccessRetentionDays: 1,
        clientToken: `paged-${i}`,
      });
    const instanceId = await metadata.instanceId();
    const regionId = await metadata.regionId();
    type Page = { SnapshotGroups: { SnapshotGroup: unknown[] }; NextToken: string };
    const first = await api.call<Page>('DescribeSnapshotGroups', {
      RegionId: regionId,
      InstanceId: instanceId,
    });
    expect(first.SnapshotGroups.SnapshotGroup).toHaveLength(10);
    expect(first.NextToken).not.toBe('');
    const second = await api.call<Page>('DescribeSnapshotGroups', {
      RegionId: regionId,
      InstanceId: instanceId,
      NextToken: first.NextToken,
    });
    expect(second.SnapshotGroups.SnapshotGroup).toHaveLength(2);
    expect(second.NextToken).toBe('');
    await expect(
      api.call('DescribeSnapshotGroups', {
        RegionId: regionId,
        InstanceId: instanceId,
        MaxResults: 101,
      }),
    ).rejects.toMatchObject({ code: 'InvalidParameter.MaxResults' });
    expect(
      await allSnapshotGroups(api, { RegionId: regionId, InstanceId: instanceId }),
    ).toHaveLength(12);
    expect(await engine.listGroups()).toHaveLength(12);
  });
});
