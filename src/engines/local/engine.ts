import { constants, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentError, conditionFailed } from '../../errors/errors.js';
import { SysBlock } from '../../system/blockdev.js';
import { isAlive, processStartTime } from '../../system/process.js';
import { mountsOnDevices, parseMountinfo } from '../../system/mountinfo.js';
import type { Runner } from '../../system/runner.js';
import type {
  CreateGroupRequest,
  EngineDisk,
  GroupInfo,
  RollbackResult,
  SnapshotEngine,
  SnapshotInfo,
} from '../types.js';
import { bestClone, copyClone, type CloneFile } from './clone.js';
import { newId } from './ids.js';
import { Pool, type PoolConfig, type PoolDisk, type StoredGroup } from './pool.js';

export interface LocalEngineOptions {
  readonly poolDir: string;
  readonly runner: Runner;
  readonly sys?: SysBlock;
  readonly mountinfo?: () => string;
  /** How a disk image is cloned while frozen (default: bestClone, the ioctl under Bun). */
  readonly clone?: CloneFile;
}

const CLONE = constants.COPYFILE_FICLONE_FORCE;

export class LocalEngine implements SnapshotEngine {
  readonly name = 'local';
  readonly canRollback = true;
  private readonly pool: Pool;
  private readonly sys: SysBlock;
  private readonly mountinfo: () => string;
  /**
   * Records of settled groups (accomplished or failed) read by this process, for createGroup's
   * checks: their id, token, disks and status do not change, so inside the frozen window only
   * the pool's listing and the records that are new or still progressing are read.
   */
  private readonly settled = new Map<string, StoredGroup>();
  /** The accomplished record of the last group, until afterWindow (or any read) writes it. */
  private unsettled: StoredGroup | undefined;
  /**
   * Read by warmUp for the next createGroup, so that the frozen window reads neither the pool's
   * configuration nor /proc: the pool's disks and quota, and this process's start time.
   */
  private warm: { config: PoolConfig; ownerStart: string | undefined } | undefined;
  private cloneFile: CloneFile | undefined;

  constructor(private readonly o: LocalEngineOptions) {
    this.pool = new Pool(o.poolDir);
    this.sys = o.sys ?? new SysBlock();
    this.mountinfo = o.mountinfo ?? (() => readFileSync('/proc/self/mountinfo', 'utf8'));
  }

  /** createGroup clones the disks' images into the pool while the filesystems are frozen. */
  writesWhileFrozen(): readonly string[] {
    return [this.o.poolDir];
  }

  private config(): PoolConfig {
    try {
      return this.pool.readConfig();
    } catch {
      throw conditionFailed(
        `no local pool at ${this.o.poolDir} (create one with: app-snapshot-plugin lab up)`,
      );
    }
  }

  /**
   * Before the lock and the freeze, everything createGroup can have ready: the pool's records
   * (see `settled`) and configuration, this process's start time, the clone's system call
   * (libc loaded), and a first id (the random generator's first use costs ~0.5 ms under Bun).
   */
  async warmUp(): Promise<void> {
    this.settle();
    this.pool.records(this.settled);
    this.warm = { config: this.config(), ownerStart: processStartTime(process.pid) };
    this.clone();
    newId('ssg');
  }

  /** The clone chosen once per engine: libc's ioctl is loaded outside the frozen window. */
  private clone(): CloneFile {
    return (this.cloneFile ??= this.o.clone ?? bestClone());
  }

  async validate(): Promise<void> {
    const config = this.config();
    if (config.allowFullCopy) return;
    // A clone must take milliseconds: refuse a pool that would hold the freeze for a full copy.
    const probe = join(this.o.poolDir, `.clone-probe-${process.pid}`);
    try {
      writeFileSync(probe, 'probe');
      // The way createGroup will clone (and its first use, outside the window).
      await this.clone()(probe, `${probe}.clone`);
    } catch (e) {
      throw conditionFailed(
        `the pool filesystem at ${this.o.poolDir} cannot clone files (reflink): ${(e as Error).message}. ` +
          'Put the pool on XFS (reflink=1) or btrfs (`lab up` does), or set "allowFullCopy": true in pool.json to copy while frozen',
      );
    } finally {
      rmSync(probe, { force: true });
      rmSync(`${probe}.clone`, { force: true });
    }
  }

  private devicesByImage(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const [name, file] of this.sys.loopBackingFiles()) {
      out.set(file, [...(out.get(file) ?? []), `/dev/${name}`]);
    }
    return out;
  }

  async describeDisks(): Promise<EngineDisk[]> {
    const config = this.config();
    const byImage = this.devicesByImage();
    return config.disks.map((d) => {
      let real = this.pool.imagePath(d);
      try {
        real = realpathSync(real);
      } catch {
        // missing image: reported below
      }
      const exists = (() => {
        try {
          return statSync(real).isFile();
        } catch {
          return false;
        }
      })();
      return {
        id: d.id,
        device: byImage.get(real)?.[0],
        category: 'local_loop',
        sizeBytes: d.sizeBytes,
        supported: exists,
        ...(exists ? {} : { unsupportedReason: `image ${real} is missing` }),
      };
    });
  }

  private checkQuotaAndBusy(
    config: PoolConfig,
    diskIds: readonly string[],
    groups: readonly StoredGroup[],
  ): void {
    for (const g of groups) {
      if (g.status !== 'progressing') continue;
      if (g.ownerPid !== undefined && !isAlive(g.ownerPid, g.ownerStart)) {
        this.pool.writeGroup({ ...g, status: 'failed', error: 'creator died' });
        continue;
      }
      const overlap = g.snapshots.find((s) => diskIds.includes(s.diskId));
      if (overlap) {
        throw new AgentError(
          'SnapshotInProgress',
          `snapshot group ${g.id} is still being created on disk ${overlap.diskId}`,
        );
      }
    }
    for (const diskId of diskIds) {
      const count = groups
        .filter((g) => g.status !== 'failed')
        .reduce((n, g) => n + g.snapshots.filter((s) => s.diskId === diskId).length, 0);
      if (count >= config.maxSnapshotsPerDisk) {
        throw new AgentError(
          'SnapshotQuotaExceeded',
          `disk ${diskId} already has ${count} snapshots (quota ${config.maxSnapshotsPerDisk}); delete old groups first`,
        );
      }
    }
  }

  async createGroup(req: CreateGroupRequest): Promise<GroupInfo> {
    this.settle();
    // This runs inside the frozen window: what warmUp read before it is not read again.
    const warm = this.warm;
    this.warm = undefined;
    const config = warm?.config ?? this.config();
    // Unsorted: nothing here depends on the order, and the pool may hold hundreds of groups.
    const groups = this.pool.records(this.settled);
    const existing = groups.find((g) => g.clientToken === req.clientToken);
    if (existing) return strip(this.group(existing.id));
    const disks = req.diskIds.map((id) => {
      const d = config.disks.find((x) => x.id === id);
      if (!d) throw new AgentError('CreateGroupFailed', `disk ${id} is not in the pool`);
      return d;
    });
    this.checkQuotaAndBusy(config, req.diskIds, groups);
    let group = progressingRecord(
      req,
      disks,
      warm ? warm.ownerStart : processStartTime(process.pid),
    );
    const { id, snapshots } = group;
    // Not fsync'd: it is read only while its creator runs (busy, or "creator died"); the
    // accomplished record below is. One fsync less inside the frozen window.
    this.pool.writeGroup(group, false);
    try {
      const clone = config.allowFullCopy ? copyClone(true) : this.clone();
      await Promise.all(
        disks.map((d, i) =>
          clone(this.pool.imagePath(d), this.pool.snapshotPath(id, snapshots[i]!.id)),
        ),
      );
    } catch (e) {
      this.pool.writeGroup({ ...group, status: 'failed', error: String(e) });
      if (e instanceof AgentError) throw e;
      throw new AgentError('CreateGroupFailed', `cloning the disk images failed: ${String(e)}`, {
        cause: e,
      });
    }
    const { ownerPid: _p, ownerStart: _s, ...rest } = group;
    group = {
      ...rest,
      status: 'accomplished',
      snapshots: snapshots.map((s) => ({ ...s, status: 'accomplished', progress: 100 })),
    };
    // Written after the thaw (afterWindow), or first thing by the next call that reads the
    // pool: its fsync was the longest part of the group call, and the point in time is fixed
    // by the clones, not by the record. If the agent dies before, the record left says
    // "progressing" by a creator that is gone: the group counts as failed, as it did when the
    // agent died between the clones and this write.
    this.unsettled = group;
    return strip(group);
  }

  /** Writes (durably) what createGroup left for after the frozen window. */
  async afterWindow(): Promise<void> {
    this.settle();
  }

  private settle(): void {
    const g = this.unsettled;
    if (!g) return;
    this.unsettled = undefined;
    try {
      this.pool.writeGroup(g);
    } catch (e) {
      throw new AgentError(
        'CreateGroupFailed',
        `writing group ${g.id}'s record failed: ${String(e)}`,
        {
          cause: e,
        },
      );
    }
  }

  private group(groupId: string): StoredGroup {
    const g = this.pool.readGroup(groupId);
    if (!g) throw conditionFailed(`no snapshot group ${groupId} in pool ${this.o.poolDir}`);
    return g;
  }

  async describeGroup(groupId: string): Promise<GroupInfo> {
    this.settle();
    return strip(this.group(groupId));
  }

  async tagSnapshots(
    ids: readonly string[],
    tags: Readonly<Record<string, string>>,
  ): Promise<void> {
    this.settle();
    this.updateSnapshots(ids, 'TagFailed', (s) => ({ ...s, tags: { ...s.tags, ...tags } }));
  }

  /** Recorded in group.json; `groups prune` deletes a group once all its snapshots expired. */
  async setRetention(ids: readonly string[], days: number): Promise<void> {
    this.settle();
    this.updateSnapshots(ids, 'RetentionFailed', (s) => {
      if ((s.retentionDays ?? 0) > days)
        throw new AgentError(
          'RetentionFailed',
          `snapshot ${s.id} is kept ${s.retentionDays} days: retention can only be extended`,
        );
      return { ...s, retentionDays: days };
    });
  }

  /** Every snapshot of `ids` changed by `change`, each group written once; all known first. */
  private updateSnapshots(
    ids: readonly string[],
    kind: 'TagFailed' | 'RetentionFailed',
    change: (s: SnapshotInfo) => SnapshotInfo,
  ): void {
    const wanted = new Set(ids);
    const groups = this.pool.groups().filter((g) => g.snapshots.some((s) => wanted.has(s.id)));
    const known = new Set(groups.flatMap((g) => g.snapshots.map((s) => s.id)));
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length) throw new AgentError(kind, `unknown snapshot id(s): ${unknown.join(', ')}`);
    const changed = groups.map((g) => ({
      ...g,
      snapshots: g.snapshots.map((s) => (wanted.has(s.id) ? change(s) : s)),
    }));
    for (const g of changed) this.pool.writeGroup(g);
  }

  async findGroup(req: CreateGroupRequest): Promise<GroupInfo | undefined> {
    this.settle();
    this.config();
    const g = this.pool.groups().find((x) => x.clientToken === req.clientToken);
    return g && strip(g);
  }

  async listGroups(): Promise<GroupInfo[]> {
    this.settle();
    this.config();
    return this.pool.groups().map(strip);
  }

  async deleteGroup(groupId: string): Promise<void> {
    this.settle();
    const g = this.group(groupId);
    if (
      g.status === 'progressing' &&
      g.ownerPid !== undefined &&
      isAlive(g.ownerPid, g.ownerStart)
    ) {
      throw new AgentError('SnapshotInProgress', `group ${groupId} is still being created`);
    }
    rmSync(this.pool.groupDir(groupId), { recursive: true, force: true });
  }

  async rollbackGroup(
    groupId: string,
    options: { diskIds?: readonly string[] } = {},
  ): Promise<RollbackResult> {
    this.settle();
    const g = this.group(groupId);
    if (g.status !== 'accomplished')
      throw conditionFailed(`group ${groupId} is ${g.status}, not accomplished`);
    const config = this.config();
    const chosen = g.snapshots.filter(
      (s) => !options.diskIds || options.diskIds.includes(s.diskId),
    );
    if (!chosen.length)
      throw conditionFailed(`group ${groupId} has no snapshot of the given disks`);
    const disks = await this.describeDisks();
    const mounts = parseMountinfo(this.mountinfo());
    // Refuse while any filesystem on the disk (or a partition or holder of it) is mounted.
    for (const s of chosen) {
      const dev = disks.find((d) => d.id === s.diskId)?.device;
      if (!dev) continue;
      const devs = this.sys.stackedDevs(dev.replace('/dev/', ''));
      const [busy] = mountsOnDevices(mounts, devs, new Set([dev]), (n) => this.sys.devOfNode(n));
      if (busy) {
        throw conditionFailed(
          `disk ${s.diskId} (${dev}) is mounted at ${busy.mountPoint}: unmount it before rolling back (umount ${busy.mountPoint})`,
        );
      }
    }
    for (const s of chosen) {
      const disk = config.disks.find((d) => d.id === s.diskId);
      if (!disk) throw conditionFailed(`disk ${s.diskId} is no longer in the pool`);
      // Clone into the existing image: same inode, so an attached loop device sees it.
      const mode = config.allowFullCopy ? constants.COPYFILE_FICLONE : CLONE;
      await copyFile(this.pool.snapshotPath(g.id, s.id), this.pool.imagePath(disk), mode);
      const dev = disks.find((d) => d.id === s.diskId)?.device;
      if (dev) await this.o.runner.run('blockdev', ['--flushbufs', dev]);
    }
    return { groupId, disks: chosen.map((s) => ({ diskId: s.diskId, snapshotId: s.id })) };
  }
}

/** A new group's record while its images are cloned: its creator is this process. */
function progressingRecord(
  req: CreateGroupRequest,
  disks: readonly PoolDisk[],
  ownerStart: string | undefined,
): StoredGroup {
  const now = new Date().toISOString();
  const snapshots: SnapshotInfo[] = disks.map((d) => ({
    id: newId('s'),
    diskId: d.id,
    status: 'progressing',
    progress: 0,
    sizeBytes: d.sizeBytes,
    tags: {},
    createdAt: now,
  }));
  return {
    id: newId('ssg'),
    name: req.name,
    description: req.description,
    status: 'progressing',
    createdAt: now,
    clientToken: req.clientToken,
    instantAccess: req.instantAccess,
    instantAccessRetentionDays: req.instantAccessRetentionDays,
    snapshots,
    ...(req.tags ? { tags: { ...req.tags } } : {}),
    ownerPid: process.pid,
    ownerStart,
  };
}

function strip(g: StoredGroup): GroupInfo {
  const { ownerPid: _p, ownerStart: _s, error: _e, ...rest } = g;
  return rest;
}
