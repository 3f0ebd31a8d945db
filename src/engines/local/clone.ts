// How the local engine clones a disk image into the pool while the filesystems are frozen: one
// FICLONE each, the clone sharing every block with the image (reflink). In the shipped
// executable the ioctl is made directly (system/libc.ts); elsewhere, and where the kernel or an
// emulator does not have it, through the runtime's copyFile with COPYFILE_FICLONE_FORCE, which
// makes the same ioctl from its thread pool.
import { constants } from 'node:fs';
import { copyFile, rm } from 'node:fs/promises';
import {
  ENOSYS,
  ffiLibc,
  O_CLOEXEC,
  O_CREAT,
  O_EXCL,
  O_RDONLY,
  O_WRONLY,
  type Libc,
} from '../../system/libc.js';

/** Clones `src` to `dst` (which must not exist); rejects with the kernel's reason. */
export type CloneFile = (src: string, dst: string) => Promise<void>;

// <linux/fs.h>: _IOW(0x94, 9, int), the same on x86_64 and arm64.
export const FICLONE = 0x40049409;

/** Whether `e` says the system call is not there at all (not: this filesystem cannot). */
const notThere = (e: unknown) => (e as { errno?: number }).errno === ENOSYS;

/**
 * FICLONE over `libc`: `dst` is created (O_EXCL) and, if the clone fails, removed again. The
 * error names the image and carries errno.
 */
export function ioctlClone(libc: Libc): CloneFile {
  return async (src, dst) => {
    const fail = (what: string) => {
      const errno = libc.errno();
      return Object.assign(new Error(`${what}: ${libc.strerror(errno)}`), { errno });
    };
    const from = libc.open(src, O_RDONLY | O_CLOEXEC);
    if (from < 0) throw fail(`cannot open ${src}`);
    try {
      const to = libc.open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600);
      if (to < 0) throw fail(`cannot create ${dst}`);
      let ok = false;
      try {
        ok = libc.ioctl(to, FICLONE, from) === 0;
        if (!ok) throw fail(`FICLONE ${src}`);
      } finally {
        libc.close(to);
        if (!ok) await rm(dst, { force: true });
      }
    } finally {
      libc.close(from);
    }
  };
}

/** The runtime's copyFile: a clone or an error (`full`: a full copy where cloning cannot). */
export function copyClone(full = false): CloneFile {
  const mode = full ? constants.COPYFILE_FICLONE : constants.COPYFILE_FICLONE_FORCE;
  return (src, dst) => copyFile(src, dst, mode);
}

/**
 * The ioctl where `libc` is there, falling back to copyFile for good once the kernel (or
 * qemu-user) says the system call is not there; copyFile otherwise.
 */
export function bestClone(
  libc: Libc | undefined = ffiLibc(),
  fallback: CloneFile = copyClone(),
): CloneFile {
  if (!libc) return fallback;
  const direct = ioctlClone(libc);
  let clone: CloneFile = async (src, dst) => {
    try {
      await direct(src, dst);
    } catch (e) {
      if (!notThere(e)) throw e;
      clone = fallback;
      await clone(src, dst);
    }
  };
  return (src, dst) => clone(src, dst);
}
