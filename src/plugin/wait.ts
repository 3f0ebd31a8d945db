import type { GroupInfo } from '../engines/types.js';
import { AgentError } from '../errors/errors.js';
import { goDuration } from '../report/log-format.js';
import type { Deps } from './deps.js';

/** Polls until the group is accomplished (the local engine already is), with progress lines. */
export async function waitGroup(
  deps: Deps,
  group: GroupInfo,
  timeoutS: number,
  /** performance.now() when the group call was sent (TotalCost counts from there). */
  calledAt?: number,
): Promise<GroupInfo> {
  let g = group;
  stopWaitingIfInterrupted(deps.interrupt, g.id);
  const start = performance.now();
  let delay = 500;
  let lastReport = 0;
  while (g.status === 'progressing') {
    const elapsed = performance.now() - start;
    // Stryker disable next-line EqualityOperator: at the bound's exact instant either is right
    if (elapsed > timeoutS * 1000) {
      throw new AgentError(
        'GroupTimeout',
        `snapshot group ${g.id} not accomplished after ${timeoutS}s (GroupTimeoutInSeconds)`,
      );
    }
    const done = g.snapshots.filter((s) => s.status === 'accomplished').length;
    const pct = g.snapshots.length
      ? Math.round(g.snapshots.reduce((n, s) => n + s.progress, 0) / g.snapshots.length)
      : 0;
    const line = `SnapshotGroup ${g.id} progress: ${pct}% (${done}/${g.snapshots.length} snapshots available)`;
    deps.progress?.(line);
    if (elapsed - lastReport >= 10_000) {
      lastReport = elapsed;
      deps.log.info(line);
    }
    await sleepUnlessInterrupted(deps.interrupt, delay);
    stopWaitingIfInterrupted(deps.interrupt, g.id);
    delay = Math.min(delay * 2, 5000);
    g = await deps.engine.describeGroup(g.id);
  }
  if (g.status === 'failed')
    throw new AgentError('GroupStatusError', `snapshot group ${g.id} failed`);
  const bad = g.snapshots.find((s) => s.status !== 'accomplished' || s.progress !== 100);
  if (bad) {
    throw new AgentError(
      'SnapshotNotAsExpected',
      `snapshot ${bad.id} of disk ${bad.diskId} is ${bad.status} (${bad.progress}%)`,
    );
  }
  // The vendor's two lines (its spelling): TotalCost from the call to accomplished, QueryCost
  // the wait for it after the thaw.
  const end = performance.now();
  deps.log.info('Finished Quering SnapshotGroup Progress');
  deps.log.info(
    `Finish SnapshotGroup =${g.id} Creation, TotalCost=${goDuration(end - (calledAt ?? start))}, QueryCost=${goDuration(end - start)}`,
  );
  return g;
}

/**
 * After the thaw an interrupt ends the run promptly: the group exists and goes on being
 * stored by the cloud, but nothing vouches for how it ends, so nothing is tagged. Exit 6:
 * "the group did not finish in time" is what the caller needs to know.
 */
function stopWaitingIfInterrupted(interrupt: AbortSignal, groupId: string): void {
  if (!interrupt.aborted) return;
  throw new AgentError(
    'GroupTimeout',
    `interrupted by ${String(interrupt.reason)} while waiting for snapshot group ${groupId}: it exists but was not waited for, and nothing was tagged`,
  );
}

export function sleepUnlessInterrupted(interrupt: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      interrupt.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    // Stryker disable next-line ObjectLiteral,BooleanLiteral: done() removes the listener itself
    interrupt.addEventListener('abort', done, { once: true });
  });
}
