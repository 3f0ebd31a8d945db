import { describe, expect, it } from 'vitest';
import { COMMAND_NAME_MAX, commandName } from '../../../src/fleet/cloud.js';

describe("RunCommand's Name", () => {
  it('is kept when it fits, and cut to 128 characters (not bytes) when it does not', () => {
    expect(commandName('app-snapshot-plugin nightly')).toBe('app-snapshot-plugin nightly');
    const fits = 'a'.repeat(COMMAND_NAME_MAX);
    expect(commandName(fits)).toBe(fits);
    const long = `app-snapshot-plugin cluster ${'快照'.repeat(80)}`;
    const cut = commandName(long);
    expect([...cut]).toHaveLength(COMMAND_NAME_MAX);
    expect(cut.endsWith('...')).toBe(true);
    expect(long.startsWith(cut.slice(0, -3))).toBe(true);
  });
});

describe('FleetCloud.groupsSince: every page of DescribeSnapshotGroups', () => {
  it("finds a run's group on the third page (the API answers 10 per page unless told)", async () => {
    const { FleetCloud } = await import('../../../src/fleet/cloud.js');
    const groups = Array.from({ length: 25 }, (_, i) => ({
      SnapshotGroupId: `ssg-${i}`,
      Name: 'nightly',
      CreationTime: new Date(Date.UTC(2027, 0, 1, 0, i)).toISOString(),
    }));
    const calls: Record<string, unknown>[] = [];
    // Pages as the API does: MaxResults (default 10, at most 100) and an opaque NextToken.
    const api = {
      async call<T>(action: string, p: Record<string, unknown>): Promise<T> {
        calls.push(p);
        expect(action).toBe('DescribeSnapshotGroups');
        const max = Math.min(Number(p.MaxResults ?? 10), 100);
        const from = p.NextToken ? Number(String(p.NextToken).slice(1)) : 0;
        const next = from + max < groups.length ? `t${from + max}` : '';
        return {
          SnapshotGroups: { SnapshotGroup: groups.slice(from, from + max) },
          NextToken: next,
        } as T;
      },
    };
    const cloud = new FleetCloud(api, 'cn-hangzhou');
    const since = Date.UTC(2027, 0, 1, 0, 23);
    expect(await cloud.groupsSince('i-1', 'nightly', since)).toEqual(['ssg-23', 'ssg-24']);
    expect(calls.every((c) => c.InstanceId === 'i-1' && c.Name === 'nightly')).toBe(true);
  });
});
