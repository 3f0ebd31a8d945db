// Attaches disk images (snapshot clones) as new loop disks and mounts them elsewhere, as a
// restore to new disks would. Everything it makes is undone by cleanup().
import { spawnSync } from 'node:child_process';
import { constants, copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TestLab } from './lab.js';

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
