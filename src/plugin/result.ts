import type { Consistency } from './consistency.js';

export const PHASES = [
  'validate',
  'preScript',
  'quiesce',
  'freeze',
  'snapshot',
  'thaw',
  'release',
  'postScript',
  'wait',
  'retain',
  'tag',
  'prune',
] as const;
export type Phase = (typeof PHASES)[number];

/** The machine-readable result (--output json). */
export interface RunResult {
  ExitCode: number;
  SnapshotGroupId: string | undefined;
  Consistency: Consistency;
  Snapshots: { SnapshotId: string; DiskId: string; Tags: Record<string, string> }[];
  /** Milliseconds per phase, plus freezeWindow (first freeze to last thaw) and total. */
  Timings: Partial<Record<Phase | 'freezeWindow' | 'total', number>>;
  /** Monotonic clock stamps (ns) for benchmarks: shared by processes on one machine. */
  Marks: {
    /** Start-up: the run began (the process was up), validated, held the lock, began presync. */
    runStartNs?: string;
    validatedNs?: string;
    lockedNs?: string;
    presyncStartNs?: string;
    /** The run was ready to freeze; its watchdog was ready (often long before). */
    freezeAskedNs?: string;
    watchdogReadyNs?: string;
    firstFreezeNs?: string;
    lastFreezeNs?: string;
    /** When the agent learned its filesystems were frozen (the watchdog's message read). */
    frozenSeenNs?: string;
    /** The group call sent, and answered (the point in time is fixed). */
    groupCallNs?: string;
    groupAnsweredNs?: string;
    thawStartNs?: string;
    thawEndNs?: string;
  };
  Frozen: string[];
  /** How the filesystems were frozen: FIFREEZE from the watchdog itself, or util-linux's fsfreeze. */
  FreezeWith?: 'ioctl' | 'fsfreeze';
  /**
   * The filesystems of the group's disks were frozen (or there were none to freeze) from
   * before the point in time until after it. False when the freeze was disabled, failed, or
   * ended early: what a cluster coordinator checks before it claims ClusterConsistent.
   */
  FreezeHeld: boolean;
  Scripts: { Role: 'pre' | 'post'; Path: string; ExitCode: number | null; TimedOut: boolean }[];
  /** Built-in quiescers: how each locked, how long, whether it held, what it recorded. */
  Apps: {
    Name: string;
    Type: string;
    Mode: string;
    HeldMs: number;
    Held: boolean;
    Facts: Record<string, string>;
  }[];
  Warnings: string[];
  /** The keep options after a successful run: the groups of this -Name kept and removed. */
  Pruned?: {
    Kept: string[];
    Removed: string[];
    NotRemoved: { SnapshotGroupId: string; Error: string }[];
  };
  /** -RetentionDays, once set on every snapshot of the group. */
  Retention?: { Days: number; ExpiresAt: string };
  Error?: string;
}

export function emptyResult(): RunResult {
  return {
    ExitCode: 0,
    SnapshotGroupId: undefined,
    Consistency: 'None',
    Snapshots: [],
    Timings: {},
    Marks: {},
    Frozen: [],
    FreezeHeld: false,
    Scripts: [],
    Apps: [],
    Warnings: [],
  };
}

/** What each field of the JSON result means: the output page's table is generated from it. */
export const RESULT_FIELDS: Record<keyof RunResult, string> = {
  ExitCode: 'the exit code (the table above)',
  SnapshotGroupId: 'the group, once the group call answered (also on failures after it)',
  Consistency:
    'AppConsistent, FsConsistent or None: what the snapshots were tagged, never more than is true',
  Snapshots: 'one per disk: SnapshotId, DiskId, Tags (as set on the snapshot)',
  Timings: 'milliseconds per phase, plus freezeWindow (first freeze to last thaw) and total',
  Marks:
    "monotonic clock stamps in ns for benchmarks on the same machine: runStartNs, validatedNs, lockedNs, presyncStartNs, freezeAskedNs, watchdogReadyNs (the start-up's steps), firstFreezeNs, lastFreezeNs, frozenSeenNs, groupCallNs, groupAnsweredNs, thawStartNs, thawEndNs (the window's parts)",
  Frozen: 'the mount points that were frozen, in freeze order',
  FreezeWith:
    'ioctl (FIFREEZE/FITHAW issued by the watchdog itself: the shipped executable) or fsfreeze (util-linux, under Node or with APP_SNAPSHOT_FREEZE_WITH=fsfreeze); absent when nothing was frozen',
  FreezeHeld: "the group's filesystems were frozen from before the point in time until after it",
  Scripts: 'each script run: Role (pre, post), Path, ExitCode (null if killed), TimedOut',
  Apps: 'each built-in quiescer: Name, Type, Mode (what it locked), HeldMs, Held (verified after the thaw), Facts (tagged)',
  Warnings: 'what went wrong without failing the run (also in the log)',
  Pruned:
    'with a -Keep* option, after a successful run only: the groups of this -Name kept, removed, and not removed (with the reason)',
  Retention:
    'with -RetentionDays, once set on every snapshot: Days and ExpiresAt (UTC); absent otherwise',
  Error: 'on failure: the reason, as in the last log line',
};
