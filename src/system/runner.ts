// How the agent starts processes, behind one interface (Runner) so that orchestration can be
// tested with fakes. Each job has its own file: a tool whose output is read (tool-run.ts), an
// untrusted script in its own process group (script-run.ts), the watchdog on a plain pipe pair
// (helper.ts; under Bun through Bun.spawn, bun-spawn.ts, which presync also uses: Bun's
// node:child_process costs ~20 ms a spawn). Two other places start processes for reasons of their own: a write that may
// block on a frozen filesystem runs in a child (bounded-write.ts), and the watchdog's fsfreeze
// calls (freeze/fsfreeze.ts: that process loads nothing else).
import { spawnHelper } from './helper.js';
import { runScript } from './script-run.js';
import { runTool } from './tool-run.js';

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface CommandOptions {
  readonly timeoutMs?: number;
  readonly input?: string;
  /** Set over the tool environment (e.g. TZ=UTC, so that a tool prints UTC times). */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ScriptRun {
  /** Raw exit code of the script, undefined if it died from a signal or did not start. */
  readonly exitCode: number | undefined;
  readonly signal: string | undefined;
  readonly timedOut: boolean;
  /** Stopped because the agent was interrupted (see ScriptOptions.abort). */
  readonly aborted?: boolean;
  /** Start failure (ENOENT, EACCES, ENOEXEC ...). */
  readonly spawnError: string | undefined;
  /** stdout and stderr interleaved, bounded (see BoundedOutput). */
  readonly output: string;
  readonly durationMs: number;
}

export interface ScriptOptions {
  readonly timeoutMs: number;
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  readonly maxOutputBytes: number;
  /** After SIGTERM to the process group, SIGKILL follows this much later. */
  readonly killGraceMs?: number;
  /** Stops the script the same way as a timeout (the agent was interrupted). */
  readonly abort?: AbortSignal;
}

/**
 * A helper process speaking lines on a pipe pair (the freeze watchdog). Its contract:
 * - send() writes to its stdin, in order; a helper that is gone is not an error here (its
 *   death is seen by `exited`), and neither is a send after end();
 * - end() closes its stdin (the watchdog thaws and exits when it sees that); idempotent;
 * - onLine() gets every line it writes to stdout, in order, without the newline; lines that
 *   came before a listener was set are kept for it; one listener;
 * - `drained` resolves once its stdout has closed and every line was given to the listener
 *   (or kept); `exited` with its exit code, undefined if a signal ended it or it never ran.
 * Not Node streams: under Bun, node:stream and node:readline alone cost ~8 ms of start-up.
 */
export interface Helper {
  readonly pid: number;
  send(text: string): void;
  end(): void;
  onLine(listener: (line: string) => void): void;
  readonly drained: Promise<void>;
  readonly exited: Promise<number | undefined>;
}

/** Process execution behind an interface, so orchestration can be tested with fakes. */
export interface Runner {
  run(file: string, args: readonly string[], options?: CommandOptions): Promise<CommandResult>;
  runScript(file: string, args: readonly string[], options: ScriptOptions): Promise<ScriptRun>;
  spawnHelper(file: string, args: readonly string[]): Helper;
}

/** The real machine's processes. */
export const systemRunner: Runner = { run: runTool, runScript, spawnHelper };
