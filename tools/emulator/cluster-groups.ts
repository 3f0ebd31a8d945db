// Snapshot groups over the disks of several instances, as the real CreateSnapshotGroup allows
// them (one call, `DiskId.N` without `InstanceId`; the disks in one zone; at most 128 disks and
// 256 TiB; CreateSnapshotGroup, https://help.aliyun.com/document_detail/210939.html). Each instance's disks are cloned by that
// instance's own engine, all at the moment of the call (concurrently, while every participant
// holds its freeze); the region keeps the parts under one group id, and DescribeSnapshotGroups,
// TagResources and DeleteSnapshotGroup see one group. The error for disks in several zones is
// not documented; DiskId.ValueNotSupported is our stand-in.
import { randomBytes } from 'node:crypto';
import type { Instance } from './region.js';
import type { Answer } from './server.js';

const MAX_DISKS = 128;

interface Part {
  readonly instance: Instance;
  readonly groupId: string;
}

interface Group {
  readonly token: string;
  readonly parts: Part[];
}

type GroupBody = { SnapshotGroups: { SnapshotGroup: Record<string, unknown>[] } };

export class ClusterGroups {
  private readonly groups = new Map<string, Group>();

  constructor(private readonly instances: readonly Instance[]) {}

  /** The region-level answer to an action without InstanceId, or undefined (not ours). */
  async handle(action: string, p: Record<string, string>): Promise<Answer | undefined> {
    if (action === 'CreateSnapshotGroup') return this.create(p);
    if (action === 'DescribeSnapshotGroups') return this.describe(p);
    if (action === 'TagResources') return this.tag(p);
    if (action === 'DeleteSnapshotGroup' && this.groups.has(p.SnapshotGroupId ?? ''))
      return this.delete(p.SnapshotGroupId!);
    return undefined;
  }

  private async create(p: Record<string, string>): Promise<Answer> {
    const diskIds = numbered(p, 'DiskId');
    if (!diskIds.length)
      return bad(400, 'MissingParameter.DiskId', 'DiskId.N is mandatory without InstanceId.');
    if (diskIds.length > MAX_DISKS)
      return bad(403, 'DiskId.ValueNotSupported', `At most ${MAX_DISKS} disks in one group.`);
    const token = p.ClientToken ?? randomBytes(8).toString('hex');
    // An instance whose answers are cut (cut-create) cuts the region's answer too: the group
    // is made (or found by its ClientToken) all the same.
    const cut = async () => {
      for (const d of diskIds)
        if ((await this.ownerOf(d))?.emulator.faults['cut-create']) return true;
      return false;
    };
    const same = [...this.groups].find(([, g]) => g.token === token);
    if (same)
      return { body: { SnapshotGroupId: same[0] }, ...((await cut()) ? { cut: true } : {}) };
    const owners = new Map<Instance, string[]>();
    for (const d of diskIds) {
      const owner = await this.ownerOf(d);
      if (!owner)
        return bad(404, 'InvalidDiskId.NotFound', `The specified DiskId ${d} does not exist.`);
      owners.set(owner, [...(owners.get(owner) ?? []), d]);
    }
    const zones = new Set([...owners.keys()].map((i) => i.emulator.zoneId));
    if (zones.size > 1)
      return bad(
        403,
        'DiskId.ValueNotSupported',
        `The disks are in several zones: ${[...zones].join(', ')}.`,
      );
    // Every instance's clone at once: the group's point in time.
    const answers = await Promise.all(
      [...owners].map(async ([instance, disks]) => ({
        instance,
        answer: await instance.emulator.dispatch('CreateSnapshotGroup', {
          ...withoutNumbered(p, 'DiskId'),
          InstanceId: instance.id,
          ClientToken: `${token}-${instance.id}`,
          ...Object.fromEntries(disks.map((d, n) => [`DiskId.${n + 1}`, d])),
        }),
      })),
    );
    const failed = answers.find((a) => !a.answer || 'error' in a.answer);
    if (failed) return failed.answer!;
    const id = `ssg-${randomBytes(10).toString('hex').slice(0, 20)}`;
    const parts = answers.map((a) => ({
      instance: a.instance,
      groupId: (a.answer as { body: { SnapshotGroupId: string } }).body.SnapshotGroupId,
    }));
    this.groups.set(id, { token, parts });
    return { body: { SnapshotGroupId: id }, ...((await cut()) ? { cut: true } : {}) };
  }

  /** Region-wide: every instance's own groups (not the parts of ours) and ours, merged. */
  private async describe(p: Record<string, string>): Promise<Answer> {
    const wanted = numbered(p, 'SnapshotGroupId');
    const hidden = new Set([...this.groups.values()].flatMap((g) => g.parts.map((x) => x.groupId)));
    const out: Record<string, unknown>[] = [];
    for (const i of this.instances) {
      const own = await groupsOf(i, withoutNumbered(p, 'SnapshotGroupId'));
      out.push(
        ...own.filter(
          (g) =>
            !hidden.has(g.SnapshotGroupId as string) &&
            (!wanted.length || wanted.includes(g.SnapshotGroupId as string)),
        ),
      );
    }
    for (const [id, g] of this.groups) {
      if (wanted.length && !wanted.includes(id)) continue;
      out.push(await this.merged(id, g));
    }
    const byName = p.Name ? out.filter((g) => g.Name === p.Name) : out;
    return { body: { SnapshotGroups: { SnapshotGroup: byName }, NextToken: '' } };
  }

  private async merged(id: string, g: Group): Promise<Record<string, unknown>> {
    const parts = await Promise.all(
      g.parts.map(
        async (x) => (await groupsOf(x.instance, { 'SnapshotGroupId.1': x.groupId }))[0]!,
      ),
    );
    const statuses = parts.map((x) => x.Status as string);
    const status = statuses.includes('failed')
      ? 'failed'
      : statuses.every((s) => s === 'accomplished')
        ? 'accomplished'
        : 'progressing';
    return {
      ...parts[0],
      SnapshotGroupId: id,
      InstanceId: '',
      Status: status,
      Snapshots: {
        Snapshot: parts.flatMap((x) => (x.Snapshots as { Snapshot: unknown[] }).Snapshot),
      },
    };
  }

  /** Snapshot ids of several instances in one call: each instance tags its own. */
  private async tag(p: Record<string, string>): Promise<Answer | undefined> {
    const ids = numbered(p, 'ResourceId');
    const byOwner = new Map<Instance, string[]>();
    for (const i of this.instances) {
      for (const id of ids)
        if (await i.emulator.owns({ 'ResourceId.1': id }))
          byOwner.set(i, [...(byOwner.get(i) ?? []), id]);
    }
    if (byOwner.size < 2) return undefined; // one owner: the instance answers as always
    for (const [i, own] of byOwner) {
      const a = await i.emulator.dispatch('TagResources', {
        ...withoutNumbered(p, 'ResourceId'),
        ...Object.fromEntries(own.map((id, n) => [`ResourceId.${n + 1}`, id])),
      });
      if (!a || 'error' in a) return a;
    }
    return { body: {} };
  }

  private async delete(id: string): Promise<Answer> {
    for (const x of this.groups.get(id)!.parts)
      await x.instance.emulator.dispatch('DeleteSnapshotGroup', { SnapshotGroupId: x.groupId });
    this.groups.delete(id);
    return { body: {} };
  }

  private async ownerOf(diskId: string): Promise<Instance | undefined> {
    for (const i of this.instances) if ((await i.emulator.diskIds()).includes(diskId)) return i;
    return undefined;
  }
}

async function groupsOf(
  i: Instance,
  p: Record<string, string>,
): Promise<Record<string, unknown>[]> {
  // Every page of the instance's own answer: the cluster view pages nothing itself.
  const { MaxResults: _max, NextToken: _token, ...filter } = p;
  const out: Record<string, unknown>[] = [];
  let token = '';
  do {
    const a = await i.emulator.dispatch('DescribeSnapshotGroups', {
      ...filter,
      InstanceId: i.id,
      MaxResults: '100',
      ...(token ? { NextToken: token } : {}),
    });
    if (!a || !('body' in a)) break;
    const body = a.body as GroupBody & { NextToken?: string };
    out.push(...body.SnapshotGroups.SnapshotGroup);
    token = body.NextToken ?? '';
  } while (token);
  return out;
}

function numbered(p: Record<string, string>, name: string): string[] {
  const re = new RegExp(`^${name}\\.(\\d+)$`);
  return Object.keys(p)
    .filter((k) => re.test(k))
    .sort((a, b) => Number(re.exec(a)![1]) - Number(re.exec(b)![1]))
    .map((k) => p[k]!);
}

function withoutNumbered(p: Record<string, string>, name: string): Record<string, string> {
  const re = new RegExp(`^${name}\\.\\d+$`);
  return Object.fromEntries(Object.entries(p).filter(([k]) => !re.test(k)));
}

function bad(status: number, code: string, message: string): Answer {
  return { error: [status, code, message] };
}
