// The watchdog: a plain pipe pair through node:child_process, not execa (it is on the path to
// the first freeze, and execa costs ~90 ms to load).
import { spawn } from 'node:child_process';
import type { Helper } from './runner.js';

export function spawnHelper(file: string, args: readonly string[]): Helper {
  // Own session: a Ctrl-C to the agent's process group must not reach the watchdog.
  const sub = spawn(file, args, { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
  if (!sub.pid) throw new Error(`could not start ${file}`);
  const exited = new Promise<number | undefined>((resolve) => {
    sub.once('error', () => resolve(undefined));
    sub.once('exit', (code) => resolve(code ?? undefined));
  });
  return { pid: sub.pid, stdin: sub.stdin, stdout: sub.stdout, exited };
}
