// The few libc calls the agent makes itself, where the runtime lets it: the shipped executable
// (Bun) through bun:ffi. A system call costs what the kernel costs; a tool spawned for it costs
// a fork and an exec, and a runtime's own file API its thread pool's first start (Bun's
// copyFile: 2-3 ms the first time, measured), inside the frozen window. Under Node there is no
// FFI: callers keep their portable way as the fallback.
import { createRequire } from 'node:module';

/** What the callers need from libc: open, ioctl, close, and the errno they set. */
export interface Libc {
  /** open(2); `mode` for O_CREAT. Returns the descriptor or -1 (see errno()). */
  open(path: string, flags: number, mode?: number): number;
  /** ioctl(2) with an integer argument (0 when none). Returns 0 or -1 (see errno()). */
  ioctl(fd: number, request: number, arg?: number): number;
  close(fd: number): number;
  /** errno as the last call left it. */
  errno(): number;
  strerror(errno: number): string;
}

// <fcntl.h>, the same on x86_64 and arm64 (asm-generic).
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_CLOEXEC = 0o2000000;
export const ENOSYS = 38; // the same number on x86_64 and arm64

let loaded: Libc | null | undefined;

/** libc through bun:ffi, once per process; undefined under Node or where dlopen fails. */
export function ffiLibc(): Libc | undefined {
  if (!process.versions.bun) return undefined;
  if (loaded === undefined) {
    try {
      loaded = bunLibc();
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

// Stryker disable all: the FFI wiring runs only in the shipped executable (Bun), which the
// executable suite runs on real loop devices; mutation testing runs under Node.
function bunLibc(): Libc {
  const ffi = createRequire(import.meta.url)('bun:ffi') as BunFfi;
  const lib = ffi.dlopen('libc.so.6', {
    // open is variadic: its mode travels like a named argument on x86_64 and arm64 Linux.
    open: { args: ['cstring', 'i32', 'u32'], returns: 'i32' },
    ioctl: { args: ['i32', 'u64', 'u64'], returns: 'i32' },
    close: { args: ['i32'], returns: 'i32' },
    __errno_location: { args: [], returns: 'ptr' },
    strerror: { args: ['i32'], returns: 'cstring' },
  });
  const s = lib.symbols;
  return {
    open: (path, flags, mode = 0) => s.open(Buffer.from(`${path}\0`), flags, mode),
    ioctl: (fd, request, arg = 0) => s.ioctl(fd, BigInt(request), BigInt(arg)),
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
      open(path: Buffer, flags: number, mode: number): number;
      ioctl(fd: number, request: bigint, arg: bigint): number;
      close(fd: number): number;
      __errno_location(): number;
      strerror(errno: number): unknown;
    };
  };
  read: { i32(ptr: number, offset: number): number };
}
