// The only file that starts processes: commands and scripts through execa, the watchdog
// through node:child_process (a plain pipe pair; it is on the path to the first freeze, and
// execa costs ~90 ms to load, so execa is loaded only when a command or script runs).
import { spawn } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import type { ResultPromise } from 'execa';
import { toolEnv } from './tools.js';

const loadExeca = async () => (await import('execa')).execa;

export interface CommandResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
}

export interface CommandOptions {
  readonly timeoutMs?: number;
  readonly input?: string;
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

export interface Helper {
  readonly pid: number;
  readonly stdin: Writable;
  readonly stdout: Readable;
  readonly exited: Promise<number | undefined>;
}

/** Process execution behind an interface, so orchestration can be tested with fakes. */
export interface Runner {
  run(file: string, args: readonly string[], options?: CommandOptions): Promise<CommandResult>;
  runScript(file: string, args: readonly string[], options: ScriptOptions): Promise<ScriptRun>;
  spawnHelper(file: string, args: readonly string[]): Helper;
}

/** Keeps the head and the tail of a stream, dropping the middle past `max` bytes. */
export class BoundedOutput {
  private head = Buffer.alloc(0);
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private dropped = 0;
  constructor(private readonly max: number) {}

  push(chunk: Buffer): void {
    const headMax = Math.floor(this.max / 4);
    if (this.head.length < headMax) {
      const take = chunk.subarray(0, headMax - this.head.length);
      this.head = Buffer.concat([this.head, take]);
      chunk = chunk.subarray(take.length);
    }
    if (!chunk.length) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    const tailMax = this.max - headMax;
    while (this.tailBytes > tailMax) {
      const first = this.tail[0]!;
      const excess = this.tailBytes - tailMax;
      if (first.length <= excess) {
        this.tail.shift();
        this.tailBytes -= first.length;
        this.dropped += first.length;
      } else {
        this.tail[0] = first.subarray(excess);
        this.tailBytes -= excess;
        this.dropped += excess;
      }
    }
  }

  toString(): string {
    const tail = Buffer.concat(this.tail).toString('utf8');
    const head = this.head.toString('utf8');
    return this.dropped ? `${head}\n[... ${this.dropped} bytes dropped ...]\n${tail}` : head + tail;
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

export const systemRunner: Runner = {
  async run(file, args, options = {}) {
    const execa = await loadExeca();
    const r = await execa(file, args, {
      // Tools whose output or errors are read: English messages, system directories on PATH.
      env: toolEnv(),
      extendEnv: false,
      reject: false,
      timeout: options.timeoutMs,
      input: options.input,
      stdin: options.input === undefined ? 'ignore' : 'pipe',
      stripFinalNewline: true,
    });
    return {
      exitCode: r.exitCode ?? -1,
      stdout: String(r.stdout ?? ''),
      // A tool that could not start has no stderr: its spawn error says why.
      stderr: String(r.stderr || (r.failed && r.exitCode === undefined ? r.message : '') || ''),
      timedOut: r.timedOut,
    };
  },

  // long: one process's whole life (start, output, timeout and interrupt, the process
  // group's kill, the pipes a background child may hold) reads best in one place.
  async runScript(file, args, options) {
    const started = performance.now();
    const out = new BoundedOutput(options.maxOutputBytes);
    // Own session and process group, so a timeout can kill everything the script started.
    const execa = await loadExeca();
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
    const spawnError = new Promise<string>((resolve) =>
      sub.once('error', (e) => resolve(e.message)),
    );
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
  },

  spawnHelper(file, args) {
    // Own session: a Ctrl-C to the agent's process group must not reach the watchdog.
    const sub = spawn(file, args, { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
    if (!sub.pid) throw new Error(`could not start ${file}`);
    const exited = new Promise<number | undefined>((resolve) => {
      sub.once('error', () => resolve(undefined));
      sub.once('exit', (code) => resolve(code ?? undefined));
    });
    return { pid: sub.pid, stdin: sub.stdin, stdout: sub.stdout, exited };
  },
};

export type BoundedWrite = { ok: true } | { ok: false; timedOut: boolean; error: string };

/**
 * Writes `data` to `path` (through a temporary file, renamed into place, mode 0600) from a
 * child process, and gives up waiting after `timeoutMs`. A write to a filesystem that
 * someone keeps frozen blocks in the kernel until the thaw, and a process with such a
 * blocked thread cannot even exit: so it is the child that blocks, not the agent. An
 * abandoned child finishes its write after the thaw. Empty `data` with `probe` just tests
 * that the directory takes writes, leaving nothing behind.
 */
export function writeBounded(
  path: string,
  data: string,
  timeoutMs: number,
  probe = false,
): Promise<BoundedWrite> {
  const script = probe
    ? 'umask 077; mkdir -p "${1%/*}" && : > "$1" && rm -f "$1"'
    : 'umask 077; mkdir -p "${1%/*}" || exit 1; if cat > "$1.tmp"; then mv -f "$1.tmp" "$1"; else rm -f "$1.tmp"; exit 1; fi';
  // mkdir (even of a directory that exists) waits on a frozen filesystem too: the child does it.
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', script, 'sh', path], {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: toolEnv(),
      detached: true,
    });
    let stderr = '';
    let settled = false;
    const settle = (r: BoundedWrite) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      // Left to finish by itself once the filesystem thaws; the agent does not wait for it.
      child.unref();
      child.stdin.destroy();
      child.stderr.destroy();
      settle({ ok: false, timedOut: true, error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => settle({ ok: false, timedOut: false, error: e.message }));
    child.on('close', (code) =>
      settle(
        code === 0
          ? { ok: true }
          : {
              ok: false,
              timedOut: false,
              error: stderr.trim().replace(/^sh: \d+: /, '') || `exit ${code}`,
            },
      ),
    );
    child.stdin.end(data);
  });
}
