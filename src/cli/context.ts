import type { RawParam } from '../params/index.js';
import type { SnapshotEngine } from '../engines/types.js';
import type { Helper } from '../system/runner.js';
import type { AgentConfig } from './config.js';
import type { Io } from './io.js';

/**
 * Seams for tools outside the shipped code (tools/faulty-agent.ts wraps the engine to inject
 * faults); the shipped entry point passes none.
 */
export interface AgentHooks {
  readonly wrapEngine?: (engine: SnapshotEngine) => SnapshotEngine;
}

/** What every command gets: where to print, the configuration, and where its code goes. */
export interface CliContext {
  readonly io: Io;
  readonly config: AgentConfig;
  readonly hooks: AgentHooks;
  /** The watchdog started at launch for a snapshot run (see cli/entry.ts). */
  readonly watchdog: Helper | undefined;
  /** The Go-flag parameter words, taken out of argv before yargs sees it. */
  readonly raw: RawParam[];
  setCode(code: number): void;
}
