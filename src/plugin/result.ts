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
  'tag',
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
  Marks: { firstFreezeNs?: string; thawEndNs?: string };
  Frozen: string[];
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
