// FIFREEZE and FITHAW as system calls from this process, where the runtime can make them: the
// shipped executable (Bun) through bun:ffi. Spawning util-linux's fsfreeze costs a fork and an
// exec per filesystem (1-2 ms each, inside the frozen window, twice); the ioctl costs what the
// kernel costs. Under Node there is no FFI: fsfreeze.ts stays the way, and the fallback.
import { ENOSYS, ffiLibc, O_CLOEXEC, O_RDONLY, type Libc } from '../system/libc.js';
import type { FsfreezeResult } from './fsfreeze.js';

/**
 * One FIFREEZE or FITHAW on the filesystem mounted at `mount`; never throws. `unsupported`: the
 * system call itself is not there (ENOSYS: e.g. qemu-user, which does not pass FIFREEZE
 * through), as opposed to a filesystem that cannot be frozen.
 */
export type FreezeIoctl = (
  action: 'freeze' | 'thaw',
  mount: string,
) => FsfreezeResult & { unsupported?: boolean };

// <linux/fs.h>: _IOWR('X', 119, int) and _IOWR('X', 120, int), the same on every architecture
// the agent ships for (asm-generic ioctl numbering on x86_64 and arm64).
export const FIFREEZE = 0xc0045877;
export const FITHAW = 0xc0045878;
const EBUSY = 16;
const EINVAL = 22;

/**
 * The ioctls over `libc`, reported the way fsfreeze's are (fsfreeze.ts): EBUSY on a freeze is
 * someone else's freeze, EINVAL on a thaw is a filesystem that was not frozen.
 */
export function freezeIoctl(libc: Libc): FreezeIoctl {
  return (action, mount) => {
    const fail = (what: string) => {
      const errno = libc.errno();
      return {
        ok: false,
        notFrozen: action === 'thaw' && errno === EINVAL,
        alreadyFrozen: action === 'freeze' && errno === EBUSY,
        error: `${mount}: ${what}: ${libc.strerror(errno)}`,
        ...(errno === ENOSYS ? { unsupported: true } : {}),
      };
    };
    const fd = libc.open(mount, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail('cannot open');
    try {
      const r = libc.ioctl(fd, action === 'freeze' ? FIFREEZE : FITHAW);
      if (r !== 0) return fail(`${action} failed`);
      return { ok: true, notFrozen: false, alreadyFrozen: false, error: '' };
    } finally {
      libc.close(fd);
    }
  };
}

/**
 * First calls of what a freeze calls, touching no filesystem: under Bun the first call of each
 * libc symbol, and of the code around it, costs 0.2-0.6 ms (open 0.5, ioctl 0.17, the error
 * path 0.2-0.35, measured), which the first wave would otherwise pay inside the window. An
 * open of "" fails (ENOENT) before any ioctl; an ioctl on no descriptor is EBADF.
 */
export function rehearseFreezeIoctl(libc: Libc): void {
  freezeIoctl(libc)('thaw', '');
  libc.ioctl(-1, FITHAW);
  const fd = libc.open('/', O_RDONLY | O_CLOEXEC);
  if (fd >= 0) libc.close(fd);
}

/**
 * The ioctls through bun:ffi, or undefined: under Node, where dlopen fails (no glibc), or when
 * APP_SNAPSHOT_FREEZE_WITH=fsfreeze asks for the tool. libc is loaded once per process.
 */
export function loadFreezeIoctl(
  env: NodeJS.ProcessEnv = process.env,
): { ioctl: FreezeIoctl; rehearse: () => void } | undefined {
  if (env.APP_SNAPSHOT_FREEZE_WITH === 'fsfreeze') return undefined;
  const libc = ffiLibc();
  return libc ? { ioctl: freezeIoctl(libc), rehearse: () => rehearseFreezeIoctl(libc) } : undefined;
}
