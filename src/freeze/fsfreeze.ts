import { accessSync, constants } from 'node:fs';
import { spawn, spawnSync } from 'node:child_process';

/** Absolute path of util-linux's fsfreeze, resolved once before anything is frozen. */
export function findFsfreeze(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = ['/usr/sbin', '/sbin', '/usr/bin', '/bin', ...(env.PATH ?? '').split(':')];
  for (const d of dirs) {
    if (!d) continue;
    try {
      accessSync(`${d}/fsfreeze`, constants.X_OK);
      return `${d}/fsfreeze`;
    } catch {
      // next
    }
  }
  return undefined;
}

export interface FsfreezeResult {
  readonly ok: boolean;
  /** FITHAW on a filesystem that is not frozen: nothing to undo. */
  readonly notFrozen: boolean;
  readonly error: string;
}

/**
 * One FIFREEZE/FITHAW through fsfreeze, synchronously. Used by the watchdog, whose only job
 * this is: spawnSync needs no libuv thread-pool slot, which blocked writes may be holding.
 */
export function fsfreezeSync(
  bin: string,
  action: 'freeze' | 'thaw',
  mount: string,
  timeoutMs: number,
): FsfreezeResult {
  const r = spawnSync(bin, [action === 'freeze' ? '-f' : '-u', mount], {
    timeout: Math.max(1, timeoutMs),
    killSignal: 'SIGKILL',
    encoding: 'utf8',
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const stderr = (r.stderr ?? '').trim();
  if (r.status === 0) return { ok: true, notFrozen: false, error: '' };
  const error = r.error
    ? r.error.message
    : stderr || (r.signal ? `killed by ${r.signal}` : `exit ${r.status}`);
  return { ok: false, notFrozen: action === 'thaw' && /Invalid argument/.test(stderr), error };
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
    const child = spawn(bin, [action === 'freeze' ? '-f' : '-u', mount], {
      stdio: ['ignore', 'ignore', 'pipe'],
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
    const done = (code: number | null, error?: string) => {
      clearTimeout(timer);
      const err = error ?? (stderr.trim() || (timedOut ? 'timed out' : `exit ${code}`));
      resolve({
        ok: code === 0 && !error,
        notFrozen: action === 'thaw' && /Invalid argument/.test(stderr),
        error: code === 0 && !error ? '' : err,
        timedOut,
      });
    };
    child.on('error', (e) => done(null, e.message));
    child.on('close', (code) => done(code));
  });
}

/**
 * Flushes the filesystems' dirty data before the first freeze (syncfs via `sync -f`, plain
 * `sync` where coreutils is too old for -f), so that FIFREEZE finds little left to write and
 * the frozen window stays short. Best effort: the freeze itself syncs whatever remains.
 */
export function presync(mounts: readonly string[], timeoutMs: number): void {
  const opts = {
    timeout: Math.max(1, timeoutMs),
    stdio: 'ignore' as const,
    killSignal: 'SIGKILL' as const,
  };
  const r = spawnSync('sync', ['-f', ...mounts], opts);
  if (r.status !== 0 && !r.error?.message.includes('ETIMEDOUT')) spawnSync('sync', [], opts);
}
