import { accessSync, constants } from 'node:fs';
import { spawnSync } from 'node:child_process';

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
