import { createRequire } from 'node:module';
import { bunApi, bunRun } from '../system/bun-spawn.js';
import { findTool, toolEnv } from '../system/tools.js';

/** node:child_process when first needed: under Bun the module alone costs ~5 ms at load. */
let cp: typeof import('node:child_process') | undefined;
const childProcess = () =>
  (cp ??= createRequire(import.meta.url)(
    'node:child_process',
  ) as typeof import('node:child_process'));

/** Absolute path of util-linux's fsfreeze (see system/tools.ts for the search list). */
export function findFsfreeze(env: NodeJS.ProcessEnv): string | undefined {
  return findTool('fsfreeze', env);
}

export interface FsfreezeResult {
  readonly ok: boolean;
  /** FITHAW on a filesystem that is not frozen (EINVAL): nothing to undo. */
  readonly notFrozen: boolean;
  /** FIFREEZE on a filesystem that is already frozen (EBUSY): someone else's freeze. */
  readonly alreadyFrozen: boolean;
  readonly error: string;
}

// fsfreeze exits 1 for every error and says which in strerror text: it runs with LC_ALL=C
// (toolEnv) so that the text is English whatever the agent's locale.
function classify(
  action: 'freeze' | 'thaw',
  status: number | null,
  stderr: string,
  failure: string | undefined,
): FsfreezeResult {
  if (status === 0 && !failure) {
    return { ok: true, notFrozen: false, alreadyFrozen: false, error: '' };
  }
  return {
    ok: false,
    notFrozen: action === 'thaw' && /Invalid argument/.test(stderr),
    alreadyFrozen: action === 'freeze' && /Device or resource busy/.test(stderr),
    error: failure ?? (stderr.trim() || `exit ${status}`),
  };
}

// The long options: util-linux has both forms since fsfreeze exists (2.17); busybox's fsfreeze,
// the one on minimal and embedded systems, has only these.
const argv = (action: 'freeze' | 'thaw', mount: string) => [
  action === 'freeze' ? '--freeze' : '--unfreeze',
  mount,
];

/**
 * One FIFREEZE/FITHAW through fsfreeze, synchronously: spawnSync needs no libuv thread-pool
 * slot, which writes blocked on a frozen filesystem may be holding.
 */
export function fsfreezeSync(
  bin: string,
  action: 'freeze' | 'thaw',
  mount: string,
  timeoutMs: number,
): FsfreezeResult {
  const r = childProcess().spawnSync(bin, argv(action, mount), {
    timeout: Math.max(1, timeoutMs),
    killSignal: 'SIGKILL',
    encoding: 'utf8',
    // Stryker disable next-line ArrayDeclaration: fsfreeze writes nothing to stdout; piped or ignored, the same
    stdio: ['ignore', 'ignore', 'pipe'],
    env: toolEnv(),
  });
  const failure = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : undefined;
  // Stryker disable next-line StringLiteral: with encoding and a piped stderr, spawnSync's stderr is a string
  return classify(action, r.status, r.stderr ?? '', failure);
}

/**
 * The same, without blocking: a wave of filesystems is frozen in parallel. spawn() forks on
 * the main thread; it needs no thread-pool slot either. `timedOut` means the FIFREEZE may
 * still have taken effect.
 */
export function fsfreezeAsync(
  bin: string,
  action: 'freeze' | 'thaw',
  mount: string,
  timeoutMs: number,
): Promise<FsfreezeResult & { timedOut: boolean }> {
  return new Promise((resolve) => {
    const child = childProcess().spawn(bin, argv(action, mount), {
      // Stryker disable next-line ArrayDeclaration: fsfreeze writes nothing to stdout; piped or ignored, the same
      stdio: ['ignore', 'ignore', 'pipe'],
      env: toolEnv(),
    });
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(
      () => {
        timedOut = true;
        child.kill('SIGKILL');
      },
      Math.max(1, timeoutMs),
    );
    // A failed spawn may report 'error' and then 'close': the first settles the promise.
    const done = (code: number | null, failure?: string) => {
      clearTimeout(timer);
      const why = failure ?? (timedOut ? 'timed out' : undefined);
      resolve({ ...classify(action, code, stderr, why), timedOut });
    };
    child.on('error', (e) => done(null, e.message));
    child.on('close', (code) => done(code));
  });
}

/** coreutils' sync, where the system has one; 'sync' (by PATH) otherwise. */
export function findSync(env: NodeJS.ProcessEnv): string {
  // Stryker disable next-line StringLiteral: with no sync found, '' fails to start as 'sync' would (best effort)
  return findTool('sync', env) ?? 'sync';
}

/**
 * Flushes the filesystems' dirty data before the first freeze or an application lock
 * (syncfs via `sync -f`, plain `sync` where coreutils is too old for -f), so that FIFREEZE
 * finds little left to write. Best effort: the freeze itself syncs whatever remains.
 */
export async function presync(
  mounts: readonly string[],
  timeoutMs: number,
  /** The sync to run (findSync). */
  sync: string,
): Promise<void> {
  if (!mounts.length) return;
  const run = (args: string[]) =>
    bunApi
      ? bunRun(bunApi, sync, args, timeoutMs, toolEnv())
      : new Promise<{ code: number | null; timedOut: boolean }>((resolve) => {
          const child = childProcess().spawn(sync, args, { stdio: 'ignore', env: toolEnv() });
          const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(1, timeoutMs));
          // Node follows a spawn error with 'close' (which settles it the same way); Bun may not.
          // Stryker disable next-line ArrowFunction,BooleanLiteral: under Node 'close' settles it too
          child.on('error', () => (clearTimeout(timer), resolve({ code: null, timedOut: false })));
          child.on('close', (code, signal) => {
            clearTimeout(timer);
            resolve({ code, timedOut: signal === 'SIGKILL' });
          });
        });
  const r = await run(['-f', ...mounts]);
  if (r.code !== 0 && !r.timedOut) await run([]);
}
