// Bun's own spawn, where the agent runs under Bun (the shipped executable). Its emulation of
// node:child_process costs ~20 ms for a spawn (stream set-up in JavaScript) against ~2 ms for
// Bun.spawn, measured on this project's two-core machine, and two spawns are on the way to the
// first freeze: the watchdog's and presync's. Under Node, node:child_process is used as before
// (helper.ts, fsfreeze.ts); the behaviour is the same either way.
import { feedFromWeb, LineFeed } from './lines.js';
import type { Helper } from './runner.js';

/** The part of Bun's API used here (Bun's types are not a dependency). */
interface BunSubprocess {
  readonly pid: number;
  readonly stdin: { write(chunk: Uint8Array | string): unknown; flush(): unknown; end(): unknown };
  readonly stdout: ReadableStream<Uint8Array>;
  readonly exited: Promise<number>;
  readonly exitCode: number | null;
  kill(signal?: string): void;
}
interface BunApi {
  readonly stdin: { stream(): ReadableStream<Uint8Array> };
  spawn(
    cmd: string[],
    o: {
      stdin: 'pipe' | 'ignore';
      stdout: 'pipe' | 'ignore';
      stderr: 'ignore';
      detached?: boolean;
      env?: Record<string, string | undefined>;
    },
  ): BunSubprocess;
}

/** Bun's API when running under Bun; undefined under Node. */
export const bunApi: BunApi | undefined = (globalThis as { Bun?: BunApi }).Bun;

/** A helper process on a pipe pair in its own session (see helper.ts), through Bun.spawn. */
export function bunHelper(bun: BunApi, file: string, args: readonly string[]): Helper {
  const sub = bun.spawn([file, ...args], {
    stdin: 'pipe',
    stdout: 'pipe',
    stderr: 'ignore',
    detached: true,
  });
  const sink = sub.stdin;
  let ended = false;
  // A helper that is gone is not an error here (see Helper): neither a throw nor a rejection.
  const quietly = (f: () => unknown) => {
    try {
      const r = f();
      if (r instanceof Promise) r.catch(() => undefined);
    } catch {
      // gone
    }
  };
  const feed = new LineFeed();
  const drained = feedFromWeb(sub.stdout, feed);
  const exited = sub.exited.then(
    () => sub.exitCode ?? undefined, // killed by a signal: no code, as under Node
    () => undefined,
  );
  return {
    pid: sub.pid,
    send: (chunk) => {
      if (ended) return;
      quietly(() => sink.write(chunk));
      quietly(() => sink.flush());
    },
    end: () => {
      if (ended) return;
      ended = true;
      quietly(() => sink.end());
    },
    onLine: (listener) => feed.listen(listener),
    drained,
    exited,
  };
}

/** Runs `file` to its end (no input, no output), killed after `timeoutMs`. */
export async function bunRun(
  bun: BunApi,
  file: string,
  args: readonly string[],
  timeoutMs: number,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; timedOut: boolean }> {
  let sub: BunSubprocess;
  try {
    sub = bun.spawn([file, ...args], { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', env });
  } catch {
    return { code: null, timedOut: false }; // could not start (ENOENT, EACCES)
  }
  let timedOut = false;
  const timer = setTimeout(() => ((timedOut = true), sub.kill('SIGKILL')), Math.max(1, timeoutMs));
  await sub.exited.catch(() => undefined);
  clearTimeout(timer);
  return { code: timedOut ? null : sub.exitCode, timedOut };
}
