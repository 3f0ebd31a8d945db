// Time: one monotonic clock shared by every process on the machine (CLOCK_MONOTONIC, which
// process.hrtime reads under Node), and the one deadline of the frozen window.

/** Monotonic ns as a string (bigint): comparable across the agent and its watchdog. */
export function monoNs(): string {
  return process.hrtime.bigint().toString();
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
