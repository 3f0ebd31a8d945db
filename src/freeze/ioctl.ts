// FIFREEZE and FITHAW as system calls from this process, where the runtime can make them: the
// shipped executable (Bun) through bun:ffi. Spawning util-linux's fsfreeze costs a fork and an
// exec per filesystem (1-2 ms each, inside the frozen window, twice); the ioctl costs what the
// kernel costs. Under Node there is no FFI: fsfreeze.ts stays the way, and the fallback.
import { createRequire } from 'node:module';
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
const O_RDONLY = 0;
const O_CLOEXEC = 0o2000000;
const EBUSY = 16;
const EINVAL = 22;
const ENOSYS = 38; // the same number on x86_64 and arm64

/** What the freeze needs from libc: open, ioctl, close, and the errno they set. */
export interface Libc {
  open(path: string, flags: number): number;
  ioctl(fd: number, request: number): number;
  close(fd: number): number;
  /** errno as the last call left it. */
  errno(): number;
  strerror(errno: number): string;
}

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

let loaded: FreezeIoctl | null | undefined;

/**
 * The ioctls through bun:ffi, or undefined: under Node, where dlopen fails (no glibc), or when
 * APP_SNAPSHOT_FREEZE_WITH=fsfreeze asks for the tool. Loaded once per process.
 */
export function loadFreezeIoctl(env: NodeJS.ProcessEnv = process.env): FreezeIoctl | undefined {
  if (env.APP_SNAPSHOT_FREEZE_WITH === 'fsfreeze' || !process.versions.bun) return undefined;
  if (loaded === undefined) {
    try {
      loaded = freezeIoctl(bunLibc());
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

// Stryker disable all: the FFI wiring runs only in the shipped executable (Bun), which the
// executable suite freezes real loop devices with; mutation testing runs under Node.
function bunLibc(): Libc {
  const ffi = createRequire(import.meta.url)('bun:ffi') as BunFfi;
  const lib = ffi.dlopen('libc.so.6', {
    open: { args: ['cstring', 'i32'], returns: 'i32' },
    ioctl: { args: ['i32', 'u64', 'u64'], returns: 'i32' },
    close: { args: ['i32'], returns: 'i32' },
    __errno_location: { args: [], returns: 'ptr' },
    strerror: { args: ['i32'], returns: 'cstring' },
  });
  const s = lib.symbols;
  return {
    open: (path, flags) => s.open(Buffer.from(`${path}\0`), flags),
    ioctl: (fd, request) => s.ioctl(fd, BigInt(request), 0n),
    close: (fd) => s.close(fd),
    errno: () => ffi.read.i32(s.__errno_location(), 0),
    strerror: (errno) => String(s.strerror(errno)),
  };
}
// Stryker restore all

/** The part of bun:ffi used here (Bun's own types are not a dependency). */
interface BunFfi {
  dlopen(
    path: string,
    symbols: Record<string, { args: string[]; returns: string }>,
  ): {
    symbols: {
      open(path: Buffer, flags: number): number;
      ioctl(fd: number, request: bigint, arg: bigint): number;
      close(fd: number): number;
      __errno_location(): number;
      strerror(errno: number): unknown;
    };
  };
  read: { i32(ptr: number, offset: number): number };
}
