import { isAlive } from '../system/process.js';
import { fsfreezeSync } from './fsfreeze.js';
import { readMarker, removeMarker } from './marker.js';

export interface RecoverResult {
  readonly thawed: string[];
  readonly failed: { mount: string; error: string }[];
  /** The run that wrote the marker is still alive: nothing was touched. */
  readonly ownerAlive: boolean;
}

/**
 * Thaws what a dead run left frozen, per its marker. Thawing a filesystem that is not frozen
 * is harmless (EINVAL), so this is safe to call at any time; it never thaws a live run's freeze
 * unless `force` is set (the emergency `thaw` command).
 */
export function recoverFrozen(stateDir: string, force = false): RecoverResult {
  const marker = readMarker(stateDir);
  if (!marker) return { thawed: [], failed: [], ownerAlive: false };
  const ownerAlive = isAlive(marker.agentPid, marker.agentStart);
  if (ownerAlive && !force) return { thawed: [], failed: [], ownerAlive };
  const thawed: string[] = [];
  const failed: { mount: string; error: string }[] = [];
  for (const mount of [...marker.mounts].reverse()) {
    const r = fsfreezeSync(marker.fsfreeze, 'thaw', mount, 10_000);
    if (r.ok) thawed.push(mount);
    else if (!r.notFrozen) failed.push({ mount, error: r.error });
  }
  if (!failed.length) removeMarker(stateDir);
  return { thawed, failed, ownerAlive };
}
