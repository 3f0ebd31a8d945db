// `lab`: builds the local engine's world on any Linux box: a reflink-capable pool (an XFS
// image with reflink=1 when the host filesystem cannot clone), disk images attached as loop
// devices, filesystems on them and mounts. Idempotent; `down` undoes all of it.
import {
  constants,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statfsSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';

function sparseFile(path: string, size: number): void {
  writeFileSync(path, '');
  truncateSync(path, size);
}
import { copyFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Pool, type PoolConfig } from '../engines/local/pool.js';
import { writeJsonAtomic } from '../system/files.js';
import { newId } from '../engines/local/ids.js';
import { conditionFailed, ParamsError } from '../errors/errors.js';
import { SysBlock } from '../system/blockdev.js';
import { parseMountinfo } from '../system/mountinfo.js';
import type { Runner } from '../system/runner.js';

export interface LabDisk {
  readonly id: string;
  readonly fsType: string;
  readonly image: string;
  readonly mountPoint: string;
  readonly device?: string;
  readonly mounted?: boolean;
}

export interface LabState {
  readonly root: string;
  readonly pool: string;
  /** Set when the pool lives in an XFS image of its own. */
  readonly poolImage?: string;
  readonly disks: LabDisk[];
}

export interface LabUpOptions {
  readonly root: string;
  readonly disks: number;
  readonly sizeBytes: number;
  readonly fsTypes: string[];
  readonly quota: number;
}

const LAB_FILE = 'lab.json';

/** Quiet, overwrite-anything mkfs flags per filesystem type. */
export const MKFS_FORCE: Record<string, string[]> = {
  ext3: ['-q', '-F'],
  ext4: ['-q', '-F'],
  xfs: ['-q', '-f'],
  btrfs: ['-q', '-f'],
};

/** The smallest filesystem each mkfs makes (XFS refuses below 300 MiB). */
export const MIN_FS_BYTES: Record<string, number> = {
  ext3: 16 * 2 ** 20,
  ext4: 16 * 2 ** 20,
  xfs: 300 * 2 ** 20,
  btrfs: 128 * 2 ** 20,
};

/** Everything `up` could fail on late, checked before anything is made (exit 2). */
export function checkLabOptions(o: LabUpOptions): void {
  if (!Number.isInteger(o.disks) || o.disks < 1 || o.disks > 64) {
    throw new ParamsError(`lab: --disks must be 1-64, not ${o.disks}`, 'disks');
  }
  for (const fs of o.fsTypes) {
    if (!(fs in MKFS_FORCE)) {
      throw new ParamsError(
        `lab: --fs ${fs} is not one of ${Object.keys(MKFS_FORCE).join(', ')}`,
        'fs',
      );
    }
    if (o.sizeBytes < MIN_FS_BYTES[fs]!) {
      throw new ParamsError(
        `lab: --size ${Math.floor(o.sizeBytes / 2 ** 20)}M is too small for ${fs} (at least ${MIN_FS_BYTES[fs]! / 2 ** 20}M)`,
        'size',
      );
    }
  }
}

/**
 * A new lab's disk images (and its pool image) are sparse: they take space from the filesystem
 * under the lab as the disks are written. If that filesystem fills up, the disks' writes fail
 * under the filesystems on them, and what the lab holds is corrupted. So a new lab needs free
 * space for its disks filled once (snapshots' changed blocks come on top of that).
 */
export function checkLabSpace(
  freeBytes: number,
  where: string,
  o: Pick<LabUpOptions, 'disks' | 'sizeBytes'>,
): void {
  const needed = o.disks * o.sizeBytes;
  if (freeBytes >= needed) return;
  const mib = (n: number) => `${Math.floor(n / 2 ** 20)} MiB`;
  throw conditionFailed(
    `lab: ${where} has ${mib(freeBytes)} free, less than the ${o.disks} disk(s) of ${mib(o.sizeBytes)} need when written (${mib(needed)}); a full filesystem under the lab would fail the disks' writes and corrupt them: use a smaller --size, fewer --disks, or a --root with room`,
  );
}

/** Free bytes (for root) of the filesystem that holds `path`, or of its nearest existing parent. */
function freeBytesAt(path: string): { free: number; where: string } {
  let dir = path;
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  const st = statfsSync(dir);
  return { free: st.bavail * st.bsize, where: dir };
}

export class Lab {
  private readonly sys = new SysBlock();
  constructor(
    private readonly runner: Runner,
    readonly root: string,
  ) {
    this.root = resolve(root);
  }

  private async must(file: string, args: string[]): Promise<string> {
    const r = await this.runner.run(file, args, { timeoutMs: 120_000 });
    if (r.exitCode !== 0) {
      throw conditionFailed(`lab: ${file} ${args.join(' ')} failed: ${r.stderr || r.stdout}`);
    }
    return r.stdout;
  }

  private mounts() {
    return parseMountinfo(readFileSync('/proc/self/mountinfo', 'utf8'));
  }

  private isMounted(path: string): boolean {
    return this.mounts().some((m) => m.mountPoint === path);
  }

  private loopOf(image: string): string | undefined {
    for (const [name, file] of this.sys.loopBackingFiles())
      if (file === image) return `/dev/${name}`;
    return undefined;
  }

  read(): LabState | undefined {
    try {
      return JSON.parse(readFileSync(join(this.root, LAB_FILE), 'utf8')) as LabState;
    } catch {
      return undefined;
    }
  }

  private async canClone(dir: string): Promise<boolean> {
    const probe = join(dir, `.clone-probe-${process.pid}`);
    try {
      writeFileSync(probe, 'x');
      await copyFile(probe, `${probe}.c`, constants.COPYFILE_FICLONE_FORCE);
      return true;
    } catch {
      return false;
    } finally {
      rmSync(probe, { force: true });
      rmSync(`${probe}.c`, { force: true });
    }
  }

  /**
   * Builds (or completes) the lab. Sizes and types are checked before anything is made; the
   * state file is written as each resource is made, so `down` can always undo a partial lab;
   * a failure undoes what this call made; nothing attached or mounted is ever mkfs'ed.
   */
  async up(o: LabUpOptions): Promise<LabState> {
    checkLabOptions(o);
    const existed = this.read() !== undefined;
    if (!existed) {
      const { free, where } = freeBytesAt(this.root);
      checkLabSpace(free, where, o);
    }
    try {
      return await this.build(o);
    } catch (e) {
      if (!existed) await this.down().catch(() => undefined);
      throw e;
    }
  }

  private record(state: LabState): void {
    writeJsonAtomic(join(this.root, LAB_FILE), {
      ...state,
      disks: state.disks.map(({ device: _d, mounted: _m, ...d }) => d),
    });
  }

  /** mkfs only on an image that no loop device uses (a mounted one would be destroyed). */
  private async mkfs(fsType: string, image: string, extra: string[] = []): Promise<void> {
    const attached = this.loopOf(image);
    if (attached) {
      throw conditionFailed(`lab: refusing to mkfs ${image}: it is attached as ${attached}`);
    }
    await this.must(`mkfs.${fsType}`, [...MKFS_FORCE[fsType]!, ...extra, image]);
  }

  /** A disk's image made (once), attached to a loop device and mounted. */
  private async attach(d: LabDisk): Promise<void> {
    if (!existsSync(d.image)) {
      sparseFile(d.image, this.sizeBytes);
      await this.mkfs(d.fsType, d.image);
    }
    const device =
      this.loopOf(d.image) ?? (await this.must('losetup', ['-f', '--show', d.image])).trim();
    mkdirSync(d.mountPoint, { recursive: true });
    if (!this.isMounted(d.mountPoint)) await this.must('mount', [device, d.mountPoint]);
  }

  private sizeBytes = 0;

  private async build(o: LabUpOptions): Promise<LabState> {
    this.sizeBytes = o.sizeBytes;
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    let state = this.read();
    if (!state) {
      const pool = join(this.root, 'pool');
      mkdirSync(pool, { recursive: true });
      const poolImage = (await this.canClone(this.root)) ? undefined : join(this.root, 'pool.img');
      state = { root: this.root, pool, ...(poolImage ? { poolImage } : {}), disks: [] };
      this.record(state);
      if (poolImage) {
        // Sparse: costs only what is written. XFS needs >= 300 MiB; leave room for snapshots.
        sparseFile(poolImage, Math.max(4 * 2 ** 30, o.disks * o.sizeBytes * 8));
        await this.mkfs('xfs', poolImage, ['-m', 'reflink=1']);
      }
    }
    if (state.poolImage && !this.isMounted(state.pool)) {
      await this.must('mount', ['-o', 'loop', state.poolImage, state.pool]);
    }
    const poolDisks = new Pool(state.pool);
    mkdirSync(join(state.pool, 'disks'), { recursive: true });
    const disks = [...state.disks];
    for (let i = disks.length; i < o.disks; i++) {
      const id = newId('d');
      const fsType = o.fsTypes[i % o.fsTypes.length]!;
      disks.push({
        id,
        fsType,
        image: join(state.pool, 'disks', `${id}.img`),
        mountPoint: join(this.root, 'mnt', id),
      });
    }
    state = { ...state, disks };
    this.record(state);
    for (const d of disks) await this.attach(d);
    const config: PoolConfig = {
      version: 1,
      disks: disks.map((d) => ({
        id: d.id,
        image: `disks/${d.id}.img`,
        sizeBytes: o.sizeBytes,
        createdAt: new Date().toISOString(),
      })),
      maxSnapshotsPerDisk: o.quota,
      allowFullCopy: false,
    };
    const prev = existsSync(poolDisks.configPath) ? poolDisks.readConfig() : undefined;
    poolDisks.writeConfig({
      ...config,
      disks: config.disks.map((d) => prev?.disks.find((p) => p.id === d.id) ?? d),
    });
    return this.status()!;
  }

  /** The recorded lab with live facts: loop device and whether mounted. */
  status(): LabState | undefined {
    const state = this.read();
    if (!state) return undefined;
    return {
      ...state,
      disks: state.disks.map((d) => ({
        ...d,
        device: this.loopOf(d.image),
        mounted: this.isMounted(d.mountPoint),
      })),
    };
  }

  async down(): Promise<boolean> {
    const state = this.status();
    if (!state) return false;
    for (const d of state.disks) {
      if (d.mounted) {
        // Never leave (or unmount) a frozen filesystem: thaw is harmless when not frozen.
        await this.runner.run('fsfreeze', ['-u', d.mountPoint]);
        await this.must('umount', [d.mountPoint]);
      }
      if (d.device) await this.must('losetup', ['-d', d.device]);
    }
    if (state.poolImage && this.isMounted(state.pool)) await this.must('umount', [state.pool]);
    // rm -r would descend into anything still mounted below the root and delete its files.
    const still = this.mounts().filter((m) => m.mountPoint.startsWith(`${this.root}/`));
    if (still.length) {
      throw conditionFailed(
        `lab: not removing ${this.root}: still mounted below it: ${still.map((m) => m.mountPoint).join(', ')}`,
      );
    }
    rmSync(this.root, { recursive: true, force: true });
    return true;
  }
}
