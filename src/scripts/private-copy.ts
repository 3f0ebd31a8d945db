import { accessSync, constants, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner, ScriptRun } from '../system/runner.js';
import { withSystemPath } from '../system/tools.js';
import { launchFor, type Launch } from './shebang.js';

export const MAX_SCRIPT_OUTPUT = 64 * 1024;

/** Scripts without "#!" run with bash, as the vendor's examples need; sh where bash is missing. */
export function fallbackShell(): string {
  // Stryker disable next-line StringLiteral: the sh branch runs only on a machine without bash
  return existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
}

export interface PreparedScript {
  readonly role: 'pre' | 'post';
  readonly original: string;
  /** The private copy: the exact bytes that were checked. It is read, never exec'd. */
  readonly copy: string;
  /** How the copy is started (see shebang.ts), or why it cannot be. */
  readonly launch: Launch;
}

/**
 * A private 0700 run directory under the state directory, removed after the run. It may be
 * on a noexec or nosuid filesystem: the copy is only ever read by its interpreter.
 */
export class ScriptDir {
  readonly dir: string;
  private made = false;
  constructor(stateDir: string) {
    this.dir = join(stateDir, `run-${process.pid}`);
  }

  prepare(role: 'pre' | 'post', original: string, content: Buffer): PreparedScript {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    this.made = true;
    const copy = join(this.dir, `${role}script`);
    writeFileSync(copy, content, { mode: 0o600 });
    return { role, original, copy, launch: launchFor(content, copy, fallbackShell()) };
  }

  /**
   * Removes the directory if this run made it. Nothing is touched otherwise: the state
   * directory may be read-only or frozen (the run is failing because of that), and Bun's
   * rmSync unlinks even a missing path, which fails with EROFS or blocks on a frozen
   * filesystem, where Node's looks first.
   */
  remove(): void {
    if (this.made) rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Why the interpreter cannot be started, before trying (a clearer line than spawn's). */
function interpreterProblem(file: string): string | undefined {
  try {
    accessSync(file, constants.X_OK);
    return undefined;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT'
      ? `its interpreter ${file} (from the #! line) is not installed`
      : `its interpreter ${file} (from the #! line) cannot be run (${code})`;
  }
}

export async function runPrepared(
  runner: Runner,
  script: PreparedScript,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
  abort?: AbortSignal,
): Promise<ScriptRun> {
  const { launch } = script;
  const problem = launch.ok ? interpreterProblem(launch.file) : launch.reason;
  if (problem || !launch.ok) {
    return {
      exitCode: undefined,
      signal: undefined,
      timedOut: false,
      spawnError: problem,
      output: '',
      durationMs: 0,
    };
  }
  return runner.runScript(launch.file, launch.args, {
    timeoutMs,
    env: {
      ...withSystemPath(env),
      APP_SNAPSHOT_SCRIPT_ROLE: script.role,
      APP_SNAPSHOT_SCRIPT_PATH: script.original,
    },
    cwd: '/',
    ...(abort ? { abort } : {}),
    maxOutputBytes: MAX_SCRIPT_OUTPUT,
  });
}
