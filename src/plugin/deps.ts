import type { AppQuiescer } from '../apps/types.js';
import type { SnapshotEngine } from '../engines/types.js';
import type { Freezer } from '../freeze/types.js';
import type { RunLog } from '../report/logger.js';
import type { ScriptCheck } from '../scripts/check.js';
import type { Lock } from '../system/lock.js';
import type { AgentPaths } from '../system/paths.js';
import type { Runner, ScriptRun } from '../system/runner.js';

/** Facts about the machine, read through one interface so validation runs on fakes. */
export interface Platform {
  osRelease(): string;
  /** /etc/centos-release or /etc/redhat-release (beside os-release), when present. */
  redhatRelease(): string | undefined;
  mountinfo(): string;
  isRoot(): boolean;
  /** "major:minor" of the device, its partitions and holders (by kernel name, e.g. loop3). */
  stackedDevs(deviceNode: string): Set<string>;
  /** "major:minor" of a block device node (for btrfs sources). */
  devOfNode(node: string): string | undefined;
  /** The image file behind a loop device, by "major:minor". */
  backingFileOf(dev: string): string | undefined;
  fsfreezePath(): string | undefined;
}

export interface ScriptHost {
  check(path: string): ScriptCheck;
  /** Copies the checked bytes to the private run dir and runs that copy. */
  run(
    role: 'pre' | 'post',
    check: Extract<ScriptCheck, { ok: true }>,
    timeoutMs: number,
    abort?: AbortSignal,
  ): Promise<ScriptRun>;
  cleanup(): void;
}

/** Everything the orchestration touches; side effects enter only through here. */
export interface Deps {
  /** Built-in application quiescers selected with -Apps (empty: none). */
  readonly apps: readonly AppQuiescer[];
  readonly log: RunLog;
  readonly engine: SnapshotEngine;
  /** A freezer that runs this fsfreeze (the one validation found: RunPlan.fsfreeze). */
  readonly newFreezer: (fsfreeze: string) => Freezer;
  readonly platform: Platform;
  readonly scripts: ScriptHost;
  readonly acquireLock: () => Lock | Promise<Lock>;
  /** Thaws what a dead earlier run left frozen; returns the mounts it thawed. */
  readonly recoverLeftoverFreeze: () => string[];
  readonly paths: AgentPaths;
  readonly runner: Runner;
  /**
   * Flushes the filesystems' dirty data (syncfs) before an application lock is taken, so the
   * lock does not have to wait for it. Optional; best effort.
   */
  readonly presync?: (mounts: readonly string[]) => Promise<void>;
  /** A live progress line for a person at a terminal (not set otherwise). */
  readonly progress?: (line: string) => void;
  /** Aborted (reason: the signal's name) when the agent is asked to stop (SIGINT/SIGTERM/SIGHUP). */
  readonly interrupt: AbortSignal;
}
