import type { Deadline } from '../system/clock.js';

/**
 * Freezer contract.
 * - prepare() runs before anything is frozen: it starts whatever must already exist to
 *   guarantee the thaw (the watchdog) and fails without freezing anything.
 * - freeze(waves, deadline) freezes wave after wave, each wave's filesystems in parallel
 *   (see plan.ts). On any failure it rolls back (thaws what it froze) before rejecting with
 *   a FreezeFailed AgentError; nothing stays frozen. It never thaws a filesystem it did not
 *   freeze (one that someone else had frozen fails with EBUSY and is left as it is).
 * - Whatever happens to its helpers, nothing it froze stays frozen much past `deadline`:
 *   it then thaws by itself and says so in the thaw outcome.
 * - thaw() thaws everything this freezer froze, in reverse order, and is idempotent. It
 *   resolves with how and when the thaw happened (the watchdog may have thawed first: then
 *   `reason` says so and the times tell whether the freeze held long enough); it rejects
 *   with ThawFailed only if a filesystem could not be thawed by any means.
 * - dispose() releases the helper; safe on every path.
 */
export interface Freezer {
  prepare(): Promise<void>;
  freeze(waves: readonly (readonly string[])[], deadline: Deadline): Promise<FreezeOutcome>;
  thaw(): Promise<ThawOutcome>;
  dispose(): Promise<void>;
}

export interface FreezeOutcome {
  readonly frozen: string[];
  /** Monotonic ns (bigint as string) of the first FIFREEZE and after the last one. */
  readonly firstFreezeNs: string;
  readonly lastFreezeNs: string;
  /** Monotonic ns when freeze() learned the last wave was frozen (after any hand-over). */
  readonly seenNs: string;
  /** How: FIFREEZE issued by the freezer's own process, or through util-linux's fsfreeze. */
  readonly freezeWith: 'ioctl' | 'fsfreeze';
}

export interface ThawOutcome {
  /**
   * requested: thawed when asked. deadline, agent-gone, signal, freeze-failed: the watchdog
   * thawed by itself (ThawReport). agent-deadline: the agent thawed directly because the
   * watchdog had not by the deadline. watchdog-lost: the watchdog died or stopped answering;
   * the agent thawed directly and cannot tell when the freeze really ended.
   */
  readonly reason:
    | 'requested'
    | 'deadline'
    | 'agent-gone'
    | 'signal'
    | 'freeze-failed'
    | 'agent-deadline'
    | 'watchdog-lost';
  readonly thawStartNs: string;
  readonly thawEndNs: string;
  readonly thawed: string[];
}
