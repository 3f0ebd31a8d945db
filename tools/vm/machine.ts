// Guest VMs whose cloud is the emulator: the guest image (image.mjs, cached), a disk store on a
// reflink filesystem of our own whose image files are the guests' cloud disks, and QEMU guests
// booted from them under software emulation, with 100.100.100.200:80 forwarded to a region
// (tools/emulator/region.ts, guest: true): metadata, ECS API and the Cloud Assistant channel.
// Used by the guest VM suite (test/vm) and by `npm run emulator -- --vm`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { writeJsonAtomic } from '../../src/system/files.js';
import type { Instance } from '../emulator/region.js';

/** The checkout (from tools/vm or from its build in dist-tools/tools/vm). */
function repoRoot(): string {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir))
    if (existsSync(join(dir, 'tools/vm/image.mjs'))) return dir;
  throw new Error(`no checkout above ${import.meta.dirname}`);
}

/** The cached guest image (npm run vm:image; built on a miss, which takes ~2 minutes). */
export interface GuestImage {
  readonly dir: string;
  readonly kernel: string;
  readonly initrd: string;
  readonly root: string;
  readonly data: string;
}

/** What the guests need on the host, named in one line when missing (Debian's packages). */
const PREREQUISITES: Record<string, string> = {
  'qemu-system-x86_64': 'qemu-system-x86',
  debootstrap: 'debootstrap',
  socat: 'socat',
  'mkfs.xfs': 'xfsprogs',
  'mkfs.btrfs': 'btrfs-progs',
  dumpe2fs: 'e2fsprogs',
};

export function guestImage(): GuestImage {
  const ROOT = repoRoot();
  const missing = Object.entries(PREREQUISITES).filter(
    ([tool]) => spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0,
  );
  if (missing.length)
    throw new Error(
      `guest VMs need ${missing.map(([t]) => t).join(', ')}: apt-get install ${[...new Set(missing.map(([, p]) => p))].join(' ')}`,
    );
  const version = (
    JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
  ).version;
  const deb = join(ROOT, 'dist/packages', `app-snapshot-plugin_${version}_amd64.deb`);
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'tools/vm/image.mjs'), deb], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (r.status !== 0) throw new Error(`vm:image failed (${r.status})`);
  const dir = r.stdout.trim().split('\n').pop()!;
  console.log(`[vm] guest image ${dir} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return {
    dir,
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    root: join(dir, 'root.img'),
    data: join(dir, 'data.img'),
  };
}

function must(file: string, args: string[]): void {
  const r = spawnSync(file, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.stderr}`);
}

export interface CloudDisk {
  /** The cloud disk id (d-...): the guest sees its serial, the id without "d-". */
  readonly id: string;
  readonly file: string;
}

/**
 * The region's disk store: an XFS filesystem (reflink=1) in a sparse image of the test's own,
 * mounted under /tmp/asp-vm-*, one local-engine pool per instance in it. A group is a reflink
 * clone of the image files QEMU has open, taken at the moment of CreateSnapshotGroup.
 */
export class DiskStore {
  readonly root: string;
  private readonly mnt: string;

  constructor() {
    this.root = mkdtempSync('/tmp/asp-vm-');
    this.mnt = join(this.root, 'store');
    mkdirSync(this.mnt);
    const image = join(this.root, 'store.img');
    closeSync(openSync(image, 'w'));
    must('truncate', ['-s', '24G', image]);
    must('mkfs.xfs', ['-q', '-f', '-m', 'reflink=1', image]);
    must('mount', ['-o', 'loop', image, this.mnt]);
  }

  /** A pool for an instance whose disks are copies of `from` (a cloud disk created from it). */
  pool(name: string, disks: { id: string; from: string }[]): { pool: string; disks: CloudDisk[] } {
    const pool = join(this.mnt, name);
    mkdirSync(join(pool, 'disks'), { recursive: true });
    const out = disks.map((d) => {
      const file = join(pool, 'disks', `${d.id}.img`);
      must('cp', ['--sparse=always', '--reflink=auto', d.from, file]);
      return { id: d.id, file };
    });
    writeJsonAtomic(join(pool, 'pool.json'), {
      version: 1,
      disks: disks.map((d) => ({
        id: d.id,
        image: `disks/${d.id}.img`,
        sizeBytes: Number(spawnSync('stat', ['-c', '%s', d.from], { encoding: 'utf8' }).stdout),
        createdAt: new Date().toISOString(),
      })),
      maxSnapshotsPerDisk: 64,
      allowFullCopy: false,
    });
    return { pool, disks: out };
  }

  /** The image file of a snapshot in a group of `pool`. */
  snapshotFile(pool: string, groupId: string, snapshotId: string): string {
    return join(pool, 'groups', groupId, `${snapshotId}.img`);
  }

  /**
   * A snapshot's filesystem as a restored disk's would be used: a reflink copy mounted here
   * (ext4 processes its orphan list, XFS and btrfs replay their logs: what any mount does), a
   * file read, then unmounted and checked read-only (FSCK), which must find nothing.
   */
  inspect(
    file: string,
    fsType: 'ext4' | 'xfs' | 'btrfs',
    path: string,
  ): { content: string; fsck: string } {
    const copy = join(this.mnt, `check-${process.pid}.img`);
    const at = join(this.root, 'check');
    mkdirSync(at, { recursive: true });
    must('cp', ['--reflink=always', file, copy]);
    try {
      must('mount', ['-o', 'loop', copy, at]);
      let content: string;
      try {
        content = readFileSync(join(at, path), 'utf8');
      } finally {
        must('umount', [at]);
      }
      const [fsck, ...args] = FSCK[fsType];
      const r = spawnSync(fsck!, [...args, copy], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`${fsType} check of ${file}: ${r.stdout}${r.stderr}`);
      return { content, fsck: `${r.stdout}${r.stderr}` };
    } finally {
      rmSync(copy, { force: true });
    }
  }

  destroy(): void {
    spawnSync('umount', [this.mnt]);
    rmSync(this.root, { recursive: true, force: true });
  }
}

/** Read-only checks that exit 0 only when there is nothing to repair. */
const FSCK = {
  ext4: ['e2fsck', '-fn'],
  xfs: ['xfs_repair', '-n'],
  btrfs: ['btrfs', 'check', '--readonly'],
};

export interface BootOptions {
  readonly image: GuestImage;
  readonly disks: readonly CloudDisk[];
  /** The host port the guest's 100.100.100.200:80 reaches (Region.guestListener). */
  readonly port: number;
  /** QEMU's cache mode for the disks: a guest flush must reach the image file (see docs/dev/020_testing.md). */
  readonly cache?: 'writeback' | 'none' | 'directsync';
  readonly console: string;
}

/** A guest VM under QEMU's software emulation (KVM is not assumed). */
export class Guest {
  readonly startedAt = Date.now();
  private readonly qemu: ChildProcess;
  readonly exited: Promise<number | null>;

  constructor(readonly o: BootOptions) {
    const drives = o.disks.flatMap((d, n) => [
      '-drive',
      `file=${d.file},if=none,id=d${n},format=raw,cache=${o.cache ?? 'writeback'}`,
      '-device',
      `virtio-blk-pci,drive=d${n},serial=${d.id.replace(/^d-/, '')}`,
    ]);
    const out = openSync(o.console, 'w');
    this.qemu = spawn(
      'qemu-system-x86_64',
      [
        ...['-accel', 'tcg', '-cpu', 'max', '-m', '1024', '-smp', '2'],
        ...['-nographic', '-no-reboot', '-kernel', o.image.kernel, '-initrd', o.image.initrd],
        ...['-append', 'root=/dev/vda rw console=ttyS0 panic=1'],
        // What a real instance's DMI says: the agent's auto engine is ecs there, as on ECS.
        ...['-smbios', 'type=1,manufacturer=Alibaba Cloud,product=Alibaba Cloud ECS'],
        ...drives,
        '-netdev',
        `user,id=n,net=100.100.100.0/24,guestfwd=tcp:100.100.100.200:80-cmd:socat - TCP:127.0.0.1:${o.port}`,
        ...['-device', 'virtio-net-pci,netdev=n'],
      ],
      { stdio: ['ignore', out, out] },
    );
    closeSync(out);
    this.exited = new Promise((r) => this.qemu.on('close', (code) => r(code)));
  }

  consoleText(): string {
    return readFileSync(this.o.console, 'utf8');
  }

  /** Power off at once (the test is done with it, or a restore proof needs a cold stop). */
  async kill(): Promise<void> {
    this.qemu.kill('SIGKILL');
    await this.exited;
  }
}

/** Waits until the guest's Cloud Assistant said hello (its boot time, as a user sees it). */
export async function online(i: Instance, guest: Guest, timeoutMs = 480_000): Promise<number> {
  const until = Date.now() + timeoutMs;
  let exit: number | null | undefined;
  void guest.exited.then((code) => (exit = code));
  while (!i.channel?.online) {
    const why =
      exit !== undefined
        ? `QEMU exited (${exit})`
        : Date.now() > until
          ? `its Cloud Assistant never said hello within ${timeoutMs / 1000} s of QEMU's start`
          : undefined;
    if (why)
      throw new Error(`the guest: ${why}; its console:\n${guest.consoleText().slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return i.channel.onlineAt! - guest.startedAt;
}
