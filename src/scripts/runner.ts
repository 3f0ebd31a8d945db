import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Runner, ScriptRun } from '../system/runner.js';

export const MAX_SCRIPT_OUTPUT = 64 * 1024;

/** Which interpreter runs a script: its own shebang, else bash like the vendor's examples. */
export function interpreterFor(content: Buffer): string | undefined {
  if (content.subarray(0, 2).toString() === '#!') return undefined;
  return existsSync('/bin/bash') ? '/bin/bash' : '/bin/sh';
}

export interface PreparedScript {
  readonly role: 'pre' | 'post';
  readonly original: string;
  /** The private copy that is executed: the exact bytes that were checked. */
  readonly copy: string;
  readonly interpreter: string | undefined;
}

/** A private 0700 run directory under the state directory, removed after the run. */
export class ScriptDir {
  readonly dir: string;
  constructor(stateDir: string) {
    this.dir = join(stateDir, `run-${process.pid}`);
  }

  prepare(role: 'pre' | 'post', original: string, content: Buffer): PreparedScript {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const copy = join(this.dir, `${role}script`);
    writeFileSync(copy, content, { mode: 0o700, flag: 'w' });
    return { role, original, copy, interpreter: interpreterFor(content) };
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function runPrepared(
  runner: Runner,
  script: PreparedScript,
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
  abort?: AbortSignal,
): Promise<ScriptRun> {
  const [file, args] = script.interpreter
    ? [script.interpreter, [script.copy]]
    : [script.copy, [] as string[]];
  return runner.runScript(file, args, {
    timeoutMs,
    env: {
      ...env,
      APP_SNAPSHOT_SCRIPT_ROLE: script.role,
      APP_SNAPSHOT_SCRIPT_PATH: script.original,
    },
    cwd: '/',
    ...(abort ? { abort } : {}),
    maxOutputBytes: MAX_SCRIPT_OUTPUT,
  });
}
