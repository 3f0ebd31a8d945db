import { ParamsError, conditionFailed } from '../../errors/errors.js';
import type {
  CreateGroupRequest,
  EngineDisk,
  GroupInfo,
  GroupStatus,
  RollbackResult,
  SnapshotEngine,
  SnapshotInfo,
} from '../types.js';
import { GroupCallUnanswered, madeBy, pendingGroup } from '../types.js';
import type { CallOptions, EcsApi } from '../../cloud/api.js';
import { deviceForSerial, DEFAULT_LOOKUP, type DeviceLookup } from './devices.js';
import { mayHaveCreated, toAgentError, type EcsCall } from './errors.js';
import type { MetadataClient } from '../../cloud/metadata.js';

/** The ESSD family: the only categories a snapshot group takes. */
export const SUPPORTED_CATEGORIES = ['cloud_essd', 'cloud_auto', 'cloud_essd_entry'];
const TAG_BATCH = 50;

interface Disk {
  DiskId: string;
  Category: string;
  Size: number;
  SerialNumber?: string;
  Status?: string;
}

interface OperationProgress {
  OperationStatus?: string;
  ErrorCode?: string;
  ErrorMsg?: string;
  RelatedItemSet?: { RelatedItem?: { Name: string; Value: string }[] };
}

export interface ApiGroup {
  SnapshotGroupId: string;
  Name?: string;
  Description?: string;
  Status: GroupStatus;
  CreationTime?: string;
  Snapshots?: {
    Snapshot?: {
      SnapshotId: string;
      SourceDiskId: string;
      Progress?: string;
      Available?: boolean;
      InstantAccess?: boolean;
      InstantAccessRetentionDays?: number;
      RetentionDays?: number;
      Tags?: { Tag?: { Key: string; Value: string }[] };
    }[];
  };
  Tags?: { Tag?: { Key: string; Value: string }[] };
}

export interface EcsEngineOptions {
  readonly api: EcsApi;
  readonly metadata: MetadataClient;
  readonly lookup?: DeviceLookup;
  /** Fetches the role's credentials: exit 13 before anything is frozen when there are none. */
  readonly checkCredentials?: () => Promise<unknown>;
}

/** Snapshot groups through the ECS API for the instance this agent runs on. */
export class EcsEngine implements SnapshotEngine {
  readonly name = 'ecs';
  readonly canRollback = false;
  private ids: { instanceId: string; regionId: string } | undefined;

  constructor(private readonly o: EcsEngineOptions) {}

  private async instance() {
    this.ids ??= {
      instanceId: await this.o.metadata.instanceId(),
      regionId: await this.o.metadata.regionId(),
    };
    return this.ids;
  }

  private async call<T>(
    action: EcsCall,
    params: Record<string, unknown>,
    options: CallOptions = {},
  ): Promise<T> {
    const { regionId } = await this.instance();
    try {
      return await this.o.api.call<T>(action, { RegionId: regionId, ...params }, options);
    } catch (e) {
      throw toAgentError(action, e);
    }
  }

  async validate(): Promise<void> {
    await this.instance();
    await this.o.checkCredentials?.();
  }

  /** A cheap call: fresh credentials and a live keep-alive connection for CreateSnapshotGroup. */
  async warmUp(): Promise<void> {
    const { instanceId } = await this.instance();
    await this.o.checkCredentials?.();
    await this.call('DescribeSnapshotGroups', { InstanceId: instanceId, MaxResults: 1 });
  }

  async describeDisks(): Promise<EngineDisk[]> {
    const { instanceId } = await this.instance();
    const disks: Disk[] = [];
    let token: string | undefined;
    do {
      const r = await this.call<{ Disks?: { Disk?: Disk[] }; NextToken?: string }>(
        'DescribeDisks',
        {
          InstanceId: instanceId,
          MaxResults: 100,
          ...(token ? { NextToken: token } : {}),
        },
      );
      disks.push(...(r.Disks?.Disk ?? []));
      token = r.NextToken || undefined;
    } while (token);
    return disks.map((d) => {
      const supported = SUPPORTED_CATEGORIES.includes(d.Category);
      const serial = d.SerialNumber || d.DiskId.replace(/^d-/, '');
      return {
        id: d.DiskId,
        device: deviceForSerial(serial, this.o.lookup ?? DEFAULT_LOOKUP),
        category: d.Category,
        sizeBytes: d.Size * 2 ** 30,
        supported,
        ...(supported
          ? {}
          : { unsupportedReason: `category ${d.Category} is not in the ESSD family` }),
      };
    });
  }

  async createGroup(req: CreateGroupRequest): Promise<GroupInfo> {
    const { instanceId } = await this.instance();
    const r = await this.call<{ SnapshotGroupId: string; RequestId?: string }>(
      'CreateSnapshotGroup',
      {
        InstanceId: instanceId,
        DiskId: [...req.diskIds],
        Name: req.name,
        ...(req.description ? { Description: req.description } : {}),
        InstantAccess: req.instantAccess,
        ...(req.instantAccess
          ? { InstantAccessRetentionDays: req.instantAccessRetentionDays }
          : {}),
        ClientToken: req.clientToken,
        ...(req.tags && Object.keys(req.tags).length
          ? { Tag: Object.entries(req.tags).map(([Key, Value]) => ({ Key, Value })) }
          : {}),
      },
      req.deadline ? { deadline: req.deadline } : {},
    ).catch((e: unknown) => {
      const cause = (e as { cause?: unknown }).cause ?? e;
      if (!mayHaveCreated(cause)) throw e;
      throw new GroupCallUnanswered(
        `${(e as Error).message}; the request may have reached the service`,
        e,
      );
    });
    // The point in time is fixed now: return at once so the caller thaws; waiting is later.
    return pendingGroup(r.SnapshotGroupId, req, r.RequestId);
  }

  async findGroup(req: CreateGroupRequest, since: Date): Promise<GroupInfo | undefined> {
    const { instanceId } = await this.instance();
    // DescribeSnapshotGroups lists no ClientToken: the name, the time and the disks tell.
    const found = (await this.groups({ InstanceId: instanceId, Name: req.name })).filter((g) =>
      madeBy(g, req, since),
    );
    return found.sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))[0];
  }

  private async groups(filter: Record<string, unknown>): Promise<GroupInfo[]> {
    const out: GroupInfo[] = [];
    let token: string | undefined;
    do {
      const r = await this.call<{
        SnapshotGroups?: { SnapshotGroup?: ApiGroup[] };
        NextToken?: string;
      }>('DescribeSnapshotGroups', {
        ...filter,
        MaxResults: 100,
        ...(token ? { NextToken: token } : {}),
      });
      out.push(...(r.SnapshotGroups?.SnapshotGroup ?? []).map(toGroup));
      token = r.NextToken || undefined;
    } while (token);
    return out;
  }

  async describeGroup(groupId: string): Promise<GroupInfo> {
    const [g] = await this.groups({ SnapshotGroupId: [groupId] });
    if (!g) throw conditionFailed(`snapshot group ${groupId} not found`);
    return g;
  }

  async tagSnapshots(
    ids: readonly string[],
    tags: Readonly<Record<string, string>>,
  ): Promise<void> {
    const Tag = Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));
    for (let i = 0; i < ids.length; i += TAG_BATCH) {
      await this.call('TagResources', {
        ResourceType: 'snapshot',
        ResourceId: ids.slice(i, i + TAG_BATCH),
        Tag,
      });
    }
  }

  /** ModifySnapshotAttribute per snapshot (the API takes one at a time). */
  async setRetention(ids: readonly string[], days: number): Promise<void> {
    for (const id of ids)
      await this.call('ModifySnapshotAttribute', { SnapshotId: id, RetentionDays: days });
  }

  async listGroups(): Promise<GroupInfo[]> {
    const { instanceId } = await this.instance();
    return this.groups({ InstanceId: instanceId });
  }

  async deleteGroup(groupId: string): Promise<void> {
    checkDeleted(groupId, await this.call('DeleteSnapshotGroup', { SnapshotGroupId: groupId }));
  }

  async rollbackGroup(): Promise<RollbackResult> {
    throw conditionFailed(
      'rolling back a cloud snapshot group is done in the ECS console or with ResetDisks',
    );
  }
}

/** A group as DescribeSnapshotGroups lists it, in the engine contract's terms. */
export function toGroup(g: ApiGroup): GroupInfo {
  const snapshots: SnapshotInfo[] = (g.Snapshots?.Snapshot ?? []).map((s) => {
    const progress = parseInt(s.Progress ?? '0', 10) || 0;
    const status: GroupStatus =
      s.Available && progress === 100
        ? 'accomplished'
        : g.Status === 'failed'
          ? 'failed'
          : 'progressing';
    return {
      id: s.SnapshotId,
      diskId: s.SourceDiskId,
      status,
      progress,
      sizeBytes: 0,
      tags: Object.fromEntries((s.Tags?.Tag ?? []).map((t) => [t.Key, t.Value])),
      createdAt: g.CreationTime ?? '',
      ...(s.RetentionDays ? { retentionDays: s.RetentionDays } : {}),
    };
  });
  const first = g.Snapshots?.Snapshot?.[0];
  return {
    id: g.SnapshotGroupId,
    name: g.Name ?? '',
    description: g.Description ?? '',
    status: g.Status,
    createdAt: g.CreationTime ?? '',
    clientToken: '',
    instantAccess: first?.InstantAccess ?? false,
    instantAccessRetentionDays: first?.InstantAccessRetentionDays ?? 0,
    snapshots,
    ...(g.Tags?.Tag?.length
      ? { tags: Object.fromEntries(g.Tags.Tag.map((t) => [t.Key, t.Value])) }
      : {}),
  };
}

/** RamRoleName is required for the cloud engine (exit 2 when missing). */
export function requireRole(role: string): string {
  if (!role) throw new ParamsError('-RamRoleName is required for the ecs engine', 'RamRoleName');
  return role;
}

/**
 * DeleteSnapshotGroup's answer lists how each snapshot went (OperationProgressSet): a 200 with
 * a failed item is a failed delete (e.g. a snapshot used by a custom image stays), never a
 * silent success.
 */
export function checkDeleted(groupId: string, answer: unknown): void {
  const r = answer as { OperationProgressSet?: { OperationProgress?: OperationProgress[] } };
  const failed = (r?.OperationProgressSet?.OperationProgress ?? []).filter(
    (o) => o.OperationStatus !== 'Success',
  );
  if (!failed.length) return;
  const items = failed.map((o) => {
    const ids = o.RelatedItemSet?.RelatedItem?.map((i) => i.Value).join(',') ?? '?';
    return `${ids}: ${`${o.ErrorCode ?? ''} ${o.ErrorMsg ?? ''}`.trim()}`;
  });
  throw conditionFailed(`DeleteSnapshotGroup ${groupId}: ${items.join('; ')}`);
}
