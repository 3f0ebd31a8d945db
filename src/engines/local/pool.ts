// The on-disk pool of the local engine: disk images, group directories with one clone per
// disk, and JSON metadata written atomically (system/files.ts: temp file, fsync, rename).
import { mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { writeJsonAtomic } from '../../system/files.js';
import { join } from 'node:path';
import type { GroupInfo } from '../types.js';

export interface PoolDisk {
  readonly id: string;
  /** Relative to the pool directory. */
  readonly image: string;
  readonly sizeBytes: number;
  readonly createdAt: string;
}

export interface PoolConfig {
  readonly version: 1;
  readonly disks: PoolDisk[];
  /** Per-disk snapshot quota (exit 14 when reached). */
  readonly maxSnapshotsPerDisk: number;
  /** Opt-in: copy images when the pool cannot clone (the freeze then lasts a full copy). */
  readonly allowFullCopy: boolean;
}

/** A group as stored: the engine's view plus the process creating it. */
export interface StoredGroup extends GroupInfo {
  readonly ownerPid?: number;
  readonly ownerStart?: string;
  readonly error?: string;
}

export const POOL_FILE = 'pool.json';

export class Pool {
  constructor(readonly dir: string) {}

  get configPath(): string {
    return join(this.dir, POOL_FILE);
  }

  readConfig(): PoolConfig {
    return JSON.parse(readFileSync(this.configPath, 'utf8')) as PoolConfig;
  }

  writeConfig(config: PoolConfig): void {
    mkdirSync(this.dir, { recursive: true });
    writeJsonAtomic(this.configPath, config);
  }

  imagePath(disk: PoolDisk): string {
    return join(this.dir, disk.image);
  }

  groupDir(groupId: string): string {
    return join(this.dir, 'groups', groupId);
  }

  snapshotPath(groupId: string, snapshotId: string): string {
    return join(this.groupDir(groupId), `${snapshotId}.img`);
  }

  readGroup(groupId: string): StoredGroup | undefined {
    try {
      return JSON.parse(
        readFileSync(join(this.groupDir(groupId), 'group.json'), 'utf8'),
      ) as StoredGroup;
    } catch {
      return undefined;
    }
  }

  /** `durable`: fsync'd before it is renamed into place (the default). */
  writeGroup(group: StoredGroup, durable = true): void {
    mkdirSync(this.groupDir(group.id), { recursive: true, mode: 0o700 });
    writeJsonAtomic(join(this.groupDir(group.id), 'group.json'), group, durable);
  }

  /** The ids of the groups in the pool (one readdir; their records unread). */
  groupIds(): string[] {
    try {
      return readdirSync(join(this.dir, 'groups'));
    } catch {
      return [];
    }
  }

  /**
   * Every group's record, in no particular order. `settled`: records read earlier by this
   * process that can no longer change in what the caller reads (not progressing); they are not
   * read again.
   */
  records(settled?: Map<string, StoredGroup>): StoredGroup[] {
    return this.groupIds()
      .map((id) => {
        const known = settled?.get(id);
        if (known) return known;
        const g = this.readGroup(id);
        if (g && g.status !== 'progressing') settled?.set(id, g);
        return g;
      })
      .filter((g): g is StoredGroup => g !== undefined);
  }

  /** Every group's record, oldest first (see records). */
  groups(settled?: Map<string, StoredGroup>): StoredGroup[] {
    // ISO-8601 UTC times sort as strings; localeCompare would ask ICU (and load its collation).
    return this.records(settled).sort((a, b) =>
      a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : 0,
    );
  }
}
