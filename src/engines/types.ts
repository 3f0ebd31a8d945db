import { AgentError } from '../errors/errors.js';
import type { Deadline } from '../system/clock.js';

/**
 * The snapshot-group engine contract. Every engine (local, ecs) passes the conformance
 * suite in test/contract/engine-contract.ts.
 *
 * - validate(): checks the engine can work here (pool present and able to clone;
 *   credentials) without creating anything. Throws AgentError with the documented code.
 * - describeDisks(): the instance's disks, with the block device each is attached as (if
 *   any) and whether it can be snapshotted (unsupported ones say why).
 * - createGroup(): one point-in-time group of the given disks. It resolves as soon as the
 *   point in time is fixed (the caller thaws then), not when the data is fully stored.
 *   Calling it again with the same clientToken returns the same group, never a second one.
 *   Errors: SnapshotQuotaExceeded (14), SnapshotInProgress (16) when a group is already
 *   being created on one of the disks, CreateGroupFailed (4) otherwise: each means no group
 *   was made. GroupCallUnanswered when the request may have reached the service but no
 *   answer came (timeout, reset, 5xx, the deadline): a group may exist.
 * - findGroup(): the group a createGroup request made, if it exists now (the same
 *   clientToken where the engine keeps it; else the same name, created at or after `since`,
 *   over the same disks where its snapshots are listed); undefined otherwise. Never creates.
 *   The run calls it, after the thaw, only after GroupCallUnanswered (plugin/unanswered.ts).
 * - describeGroup(): current status; 'accomplished' once every snapshot is usable. The request's
 *   tags come back as the group's tags (describeGroup, listGroups, findGroup).
 * - tagSnapshots(): adds (overwrites) tags on the given snapshots.
 * - setRetention(): the given snapshots are deleted by the engine `days` after their creation
 *   (the cloud's RetentionDays; the local engine records it and `groups prune` enforces it).
 *   It can only be extended: a shorter retention than a snapshot has is refused (RetentionFailed,
 *   exit 17, as is any other failure), the same one again is a no-op.
 * - listGroups() / deleteGroup() / rollbackGroup(): management; rollback restores each
 *   disk's bytes to the snapshot time and refuses while a disk is in use (mounted).
 */
export interface SnapshotEngine {
  readonly name: string;
  /** Whether rollbackGroup works here (the cloud's is done in its console or ResetDisks). */
  readonly canRollback: boolean;
  /**
   * Called right before the application lock and the freeze: make sure createGroup will not
   * need DNS, a new connection or fresh credentials while the filesystems are frozen.
   * It may also wait for others: the cluster participant returns only when the coordinator
   * says freeze (or throws on abort), which can take as long as the slowest pre-script on
   * another instance (ScriptTimeoutInSeconds + 60 s). Nothing is locked or frozen meanwhile.
   * Optional.
   */
  warmUp?(): Promise<void>;
  /**
   * Directories the engine writes into while the filesystems are frozen (the local engine's
   * pool, where createGroup clones the disks). The run refuses to start when one is on a
   * filesystem it would freeze: that write would wait for the thaw, the thaw for the group.
   * Optional: none.
   */
  writesWhileFrozen?(): readonly string[];
  /**
   * Called once after the thaw when createGroup answered: what createGroup may leave for
   * after the frozen window (the local engine's durable record of the group; until then the
   * engine's own calls see the group as createGroup returned it). A failure here is the group
   * call's failure. Optional: nothing to do.
   */
  afterWindow?(): Promise<void>;
  validate(): Promise<void>;
  describeDisks(): Promise<EngineDisk[]>;
  createGroup(request: CreateGroupRequest): Promise<GroupInfo>;
  findGroup(request: CreateGroupRequest, since: Date): Promise<GroupInfo | undefined>;
  describeGroup(groupId: string): Promise<GroupInfo>;
  tagSnapshots(
    snapshotIds: readonly string[],
    tags: Readonly<Record<string, string>>,
  ): Promise<void>;
  setRetention(snapshotIds: readonly string[], days: number): Promise<void>;
  listGroups(): Promise<GroupInfo[]>;
  deleteGroup(groupId: string): Promise<void>;
  rollbackGroup(
    groupId: string,
    options?: { diskIds?: readonly string[] },
  ): Promise<RollbackResult>;
}

export interface EngineDisk {
  readonly id: string;
  /** Block device node, e.g. /dev/loop3 or /dev/vdb; undefined when not attached. */
  readonly device: string | undefined;
  readonly category: string;
  readonly sizeBytes: number;
  readonly supported: boolean;
  readonly unsupportedReason?: string;
}

export interface CreateGroupRequest {
  readonly name: string;
  readonly description: string;
  readonly diskIds: readonly string[];
  readonly instantAccess: boolean;
  readonly instantAccessRetentionDays: number;
  /** Idempotency token: a retried call must not create a second group. */
  readonly clientToken: string;
  /**
   * Tags of the group, set as it is made (CreateSnapshotGroup's Tag.N): the agent's mark, so
   * a prune can tell its groups from others even when the run failed before tagging.
   */
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * The frozen window's deadline (TimeoutInSeconds), when filesystems are frozen: the call,
   * its retries and each attempt's own timeout must end before it.
   */
  readonly deadline?: Deadline;
}

export type GroupStatus = 'progressing' | 'accomplished' | 'failed';

export interface SnapshotInfo {
  readonly id: string;
  readonly diskId: string;
  readonly status: GroupStatus;
  /** 0-100. */
  readonly progress: number;
  readonly sizeBytes: number;
  readonly tags: Record<string, string>;
  readonly createdAt: string;
  /** Days after createdAt the engine deletes it (setRetention); absent: kept until deleted. */
  readonly retentionDays?: number;
}

export interface GroupInfo {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly status: GroupStatus;
  readonly createdAt: string;
  readonly clientToken: string;
  readonly instantAccess: boolean;
  readonly instantAccessRetentionDays: number;
  readonly snapshots: SnapshotInfo[];
  /** The group's own tags (those given at creation); absent where the engine has none. */
  readonly tags?: Readonly<Record<string, string>>;
  /** The service's RequestId of the call that created it (createGroup's answer only). */
  readonly requestId?: string;
}

export interface RollbackResult {
  readonly groupId: string;
  readonly disks: { diskId: string; snapshotId: string }[];
}

/** See the contract: the request may have reached the service, and no answer came. */
export class GroupCallUnanswered extends AgentError {
  constructor(message: string, cause?: unknown) {
    super('CreateGroupFailed', message, { cause });
    this.name = 'GroupCallUnansweredError';
  }
}

/**
 * Whether `g` is what `req` asked for: the same name, created at or after `since` (less a
 * minute for the clocks of the instance and the service), over the same disks when its
 * snapshots are listed (a group just created may list none yet).
 */
export function madeBy(g: GroupInfo, req: CreateGroupRequest, since: Date): boolean {
  if (g.clientToken && g.clientToken === req.clientToken) return true;
  if (g.name !== req.name || Date.parse(g.createdAt) < since.getTime() - 60_000) return false;
  if (!g.snapshots.length) return true;
  const disks = g.snapshots.map((s) => s.diskId).sort();
  return disks.join(',') === [...req.diskIds].sort().join(',');
}

/**
 * A group whose point in time is fixed but whose snapshots are not listed yet: what
 * createGroup returns as soon as the cloud has the call, so that the caller thaws at once.
 */
export function pendingGroup(id: string, req: CreateGroupRequest, requestId?: string): GroupInfo {
  return {
    ...(requestId ? { requestId } : {}),
    id,
    name: req.name,
    description: req.description,
    status: 'progressing',
    createdAt: new Date().toISOString(),
    clientToken: req.clientToken,
    instantAccess: req.instantAccess,
    instantAccessRetentionDays: req.instantAccessRetentionDays,
    snapshots: [],
    ...(req.tags ? { tags: { ...req.tags } } : {}),
  };
}
