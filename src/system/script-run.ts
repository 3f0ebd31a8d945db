// An untrusted pre- or post-script: its own session and process group (a timeout or an
// interrupt kills everything it started), its output bounded, a background child that keeps
// the pipe open not waited for.
import type { ResultPromise } from 'execa';
import { BoundedOutput } from './bounded-output.js';
import type { ScriptOptions, ScriptRun } from './runner.js';

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

// long: one process's whole life (start, output, timeout and interrupt, the process
// group's kill, the pipes a background child may hold) reads best in one place.
export async function runScript(
  file: string,
  args: readonly string[],
  options: ScriptOptions,
): Promise<ScriptRun> {
  const started = performance.now();
  const out = new BoundedOutput(options.maxOutputBytes);
  // Own session and process group, so a timeout can kill everything the script started.
  const { execa } = await import('execa');
  const sub: ResultPromise = execa(file, args, {
    detached: true,
    cleanup: false,
    all: true,
    buffer: false,
    reject: false,
    stdin: 'ignore',
    env: options.env,
    extendEnv: false,
    cwd: options.cwd,
  });
  sub.all?.on('data', (c: Buffer) => out.push(c));
  let timedOut = false;
  let killTimer: NodeJS.Timeout | undefined;
  let aborted = false;
  const stop = () => {
    killGroup(sub.pid, 'SIGTERM');
    killTimer = setTimeout(() => killGroup(sub.pid, 'SIGKILL'), options.killGraceMs ?? 2000);
  };
  const timer = setTimeout(() => {
    timedOut = true;
    stop();
  }, options.timeoutMs);
  const onAbort = () => {
    aborted = true;
    clearTimeout(timer);
    stop();
  };
  options.abort?.addEventListener('abort', onAbort, { once: true });
  // An interrupt that came while execa was loading has already fired: act on it now.
  if (options.abort?.aborted) onAbort();
  const spawnError = new Promise<string>((resolve) => sub.once('error', (e) => resolve(e.message)));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    sub.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const first = await Promise.race([exit, spawnError]);
  clearTimeout(timer);
  options.abort?.removeEventListener('abort', onAbort);
  if (timedOut || aborted) {
    // The leader is gone; make sure the rest of its group goes too.
    clearTimeout(killTimer);
    killGroup(sub.pid, 'SIGKILL');
  }
  // A background child that inherited the pipe must not keep us waiting for EOF.
  await Promise.race([sub.catch(() => undefined), new Promise((r) => setTimeout(r, 200))]);
  sub.all?.destroy();
  sub.stdout?.destroy();
  sub.stderr?.destroy();
  void sub.catch(() => undefined);
  const durationMs = performance.now() - started;
  if (typeof first === 'string') {
    return {
      exitCode: undefined,
      signal: undefined,
      timedOut,
      aborted,
      spawnError: first,
      output: out.toString(),
      durationMs,
    };
  }
  return {
    exitCode: first.code ?? undefined,
    signal: first.signal ?? undefined,
    timedOut,
    aborted,
    spawnError: undefined,
    output: out.toString(),
    durationMs,
  };
}
