// Time: one monotonic clock shared by every process on the machine (CLOCK_MONOTONIC), and the
// one deadline of the frozen window.
import { createRequire } from 'node:module';

let clock: (() => bigint) | undefined;

/** Monotonic ns as a string (bigint): comparable across the agent and its watchdog. */
export function monoNs(): string {
  return (clock ??= pickClock())().toString();
}

/**
 * Node's process.hrtime reads CLOCK_MONOTONIC. Bun's counts from its own process start, so two
 * processes' readings cannot be compared (the freeze window is measured across the agent and
 * its watchdog): under Bun, CLOCK_MONOTONIC is read from libc through bun:ffi (about 1 ms to
 * set up, once per process).
 */
function pickClock(): () => bigint {
  if (!process.versions.bun) return () => process.hrtime.bigint();
  const ffi = createRequire(import.meta.url)('bun:ffi') as BunFfi;
  const libc = ffi.dlopen('libc.so.6', {
    clock_gettime: { args: ['i32', 'ptr'], returns: 'i32' },
  });
  const ts = new BigInt64Array(2);
  const CLOCK_MONOTONIC = 1;
  return () => {
    if (libc.symbols.clock_gettime(CLOCK_MONOTONIC, ts) !== 0)
      throw new Error('clock_gettime failed');
    return ts[0]! * 1_000_000_000n + ts[1]!;
  };
}

/** The part of bun:ffi used here (Bun's own types are not a dependency). */
interface BunFfi {
  dlopen(
    path: string,
    symbols: { clock_gettime: { args: string[]; returns: string } },
  ): { symbols: { clock_gettime(id: number, ts: BigInt64Array): number } };
}

/**
 * One deadline for the whole frozen window (TimeoutInSeconds): the freeze, the group call and
 * its retries, the wait for the watchdog's thaw all measure what is left against it, so
 * nothing that runs while frozen can outlive it.
 */
export class Deadline {
  private readonly at: number;
  constructor(
    readonly budgetMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.at = now() + budgetMs;
  }

  remainingMs(): number {
    return Math.max(0, this.at - this.now());
  }

  expired(): boolean {
    return this.remainingMs() <= 0;
  }

  /** Calls `fn` when the deadline passes; returns a cancel function. */
  onExpiry(fn: () => void): () => void {
    const t = setTimeout(fn, this.remainingMs());
    return () => clearTimeout(t);
  }
}
