// Attaches disk images (snapshot clones) as new loop disks and mounts them elsewhere, as a
// restore to new disks would. Everything it makes is undone by cleanup().
import { spawnSync } from 'node:child_process';
import { constants, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestLab } from './lab.js';
import { TestMariadb } from './mariadb.js';

export interface Restored {
  /** disk id -> where its restored copy is mounted */
  readonly mounts: Record<string, string>;
  cleanup(): void;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

export function restoreImages(
  lab: TestLab,
  images: { diskId: string; image: string }[],
  tag: string,
): Restored {
  const made: { image: string; device?: string; mount?: string }[] = [];
  const mounts: Record<string, string> = {};
  const cleanup = () => {
    for (const m of [...made].reverse()) {
      if (m.mount) spawnSync('umount', [m.mount]);
      if (m.device) spawnSync('losetup', ['-d', m.device]);
      rmSync(m.image, { force: true });
    }
  };
  try {
    for (const { diskId, image } of images) {
      const fsType = lab.state.disks.find((d) => d.id === diskId)!.fsType;
      // A clone, so the snapshot itself stays untouched.
      const copy = join(lab.pool, `restore-${tag}-${diskId}.img`);
      copyFileSync(image, copy, constants.COPYFILE_FICLONE_FORCE);
      const m: (typeof made)[number] = { image: copy };
      made.push(m);
      m.device = run('losetup', ['-f', '--show', copy]);
      const mount = join(lab.root, `restore-${tag}`, diskId);
      mkdirSync(mount, { recursive: true });
      // The original is still mounted: XFS refuses a second filesystem with the same UUID.
      run('mount', [...(fsType === 'xfs' ? ['-o', 'nouuid'] : []), m.device, mount]);
      m.mount = mount;
      mounts[diskId] = mount;
    }
  } catch (e) {
    cleanup();
    throw e;
  }
  return { mounts, cleanup };
}

/**
 * A MariaDB server (not started yet) on restored copies of a lab laid out as the proofs lay
 * it out: the datadir in `mysql/` on disk 0, the binlog in `binlog/` on disk 1. The binlog
 * index names its files by absolute path, so it is pointed at the restored copies.
 */
export function restoredMariadb(
  lab: TestLab,
  images: { diskId: string; image: string }[],
  tag: string,
): { server: TestMariadb; cleanup: () => Promise<void> } {
  const restored = restoreImages(lab, images, tag);
  try {
    const data = restored.mounts[lab.state.disks[0]!.id]!;
    const binlog = join(restored.mounts[lab.state.disks[1]!.id]!, 'binlog');
    const index = join(binlog, 'binlog.index');
    writeFileSync(
      index,
      readFileSync(index, 'utf8').replaceAll(join(lab.mount(1), 'binlog'), binlog),
    );
    const server = new TestMariadb({
      datadir: join(data, 'mysql'),
      binlogDir: binlog,
      runDir: join(lab.root, 'run'),
      name: tag,
    });
    return {
      server,
      cleanup: async () => {
        await server.stop();
        restored.cleanup();
      },
    };
  } catch (e) {
    restored.cleanup();
    throw e;
  }
}
