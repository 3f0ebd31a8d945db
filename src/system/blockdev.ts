// Block-device facts from sysfs: which devices sit on top of a disk (partitions, device-mapper
// holders) and which image file backs a loop device. Reads only; the sysfs root is injectable.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** "major:minor" of a stat's device, as /proc/self/mountinfo writes it. */
export function devString(dev: number): string {
  // Linux's encoding of dev_t (the kernel's new_encode_dev, as glibc's major()/minor()).
  const major = ((dev >>> 8) & 0xfff) | (Math.floor(dev / 2 ** 32) & ~0xfff);
  const minor = (dev & 0xff) | ((dev >>> 12) & 0xfff00);
  return `${major}:${minor}`;
}

export class SysBlock {
  constructor(private readonly sys = '/sys') {}

  private read(path: string): string | undefined {
    try {
      return readFileSync(path, 'utf8').trim();
    } catch {
      return undefined;
    }
  }

  private list(path: string): string[] {
    try {
      return readdirSync(path);
    } catch {
      return [];
    }
  }

  /** "major:minor" of a block device node such as /dev/loop3. */
  devOfNode(node: string): string | undefined {
    try {
      const st = statSync(node);
      if (!st.isBlockDevice()) return undefined;
      return devString(st.rdev);
    } catch {
      return undefined;
    }
  }

  /** Kernel name ("loop3") of a device number. */
  nameOfDev(dev: string): string | undefined {
    const target = this.read(join(this.sys, 'dev/block', dev, 'uevent'));
    return target?.match(/^DEVNAME=(.*)$/m)?.[1];
  }

  /** The device itself, its partitions and, recursively, every holder (dm, md) on top. */
  stackedDevs(name: string): Set<string> {
    const out = new Set<string>();
    const visit = (n: string) => {
      const base = join(this.sys, 'class/block', n);
      const dev = this.read(join(base, 'dev'));
      if (!dev || out.has(dev)) return;
      out.add(dev);
      for (const child of this.list(base)) {
        if (child.startsWith(n) && this.read(join(base, child, 'partition'))) visit(child);
      }
      for (const holder of this.list(join(base, 'holders'))) visit(holder);
    };
    visit(name);
    return out;
  }

  /** The file behind a loop device given as "major:minor", if it is one. */
  backingFileOfDev(dev: string): string | undefined {
    const name = this.nameOfDev(dev);
    if (!name?.startsWith('loop')) return undefined;
    return this.read(join(this.sys, 'block', name, 'loop/backing_file'))?.replace(
      / \(deleted\)$/,
      '',
    );
  }

  /** Loop devices and the files behind them: name -> backing file. */
  loopBackingFiles(): Map<string, string> {
    const out = new Map<string, string>();
    for (const n of this.list(join(this.sys, 'block'))) {
      if (!n.startsWith('loop')) continue;
      const file = this.read(join(this.sys, 'block', n, 'loop/backing_file'));
      if (file) out.set(n, file.replace(/ \(deleted\)$/, ''));
    }
    return out;
  }
}
