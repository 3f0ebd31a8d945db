// Line-delimited JSON between the agent and its watchdog process.

export interface FreezeRequest {
  readonly op: 'freeze';
  /** Mount points in waves: each wave frozen in parallel, waves in order (see plan.ts). */
  readonly waves: string[][];
  readonly timeoutMs: number;
  readonly fsfreeze: string;
}

export type AgentMessage = FreezeRequest | { readonly op: 'thaw' };

export interface ThawReport {
  readonly event: 'thawed';
  readonly reason: 'requested' | 'deadline' | 'agent-gone' | 'signal' | 'freeze-failed';
  /** Monotonic clock (ns, as a string): shared by all processes on the machine. */
  readonly thawStartNs: string;
  readonly thawEndNs: string;
  readonly thawed: string[];
  readonly failures: { mount: string; error: string }[];
}

export type WatchdogMessage =
  | {
      readonly event: 'ready';
      readonly pid: number;
      /** How it freezes: FIFREEZE/FITHAW from its own process, or util-linux's fsfreeze. */
      readonly freezeWith: 'ioctl' | 'fsfreeze';
    }
  /** Sent before wave `index` is frozen: from now on its mounts may be frozen. */
  | { readonly event: 'wave'; readonly index: number }
  | {
      readonly event: 'frozen';
      readonly frozen: string[];
      readonly firstFreezeNs: string;
      readonly lastFreezeNs: string;
      /** How it froze (it may have fallen back to fsfreeze since it said ready). */
      readonly freezeWith?: 'ioctl' | 'fsfreeze';
    }
  | {
      readonly event: 'freeze-failed';
      readonly mount: string;
      readonly error: string;
      readonly frozenBefore: string[];
    }
  | ThawReport;
