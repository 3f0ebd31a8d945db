import type { GroupInfo } from '../engines/types.js';
import { describeError } from '../errors/exit-code-for.js';
import { AgentError } from '../errors/errors.js';
import { tookMessage } from '../report/log-format.js';
import type { Deps } from './deps.js';
import type { RunResult } from './result.js';
import type { Consistency, RunPlan } from './validate.js';

/** Tags the snapshots with what they may claim, plus what the quiescers recorded. */
export async function tag(
  deps: Deps,
  result: RunResult,
  plan: RunPlan,
  group: GroupInfo,
  c: Exclude<Consistency, 'None'>,
): Promise<void> {
  const uncovered = (diskId: string) => plan.freeze?.uncoveredDisks.includes(diskId) === true;
  const ids = group.snapshots.filter((s) => !uncovered(s.diskId)).map((s) => s.id);
  deps.log.info(`Tag snapshots with ${c}`);
  // What the quiescers recorded under their locks goes with the snapshots (e.g. db1.Gtid).
  const tags: Record<string, string> = { [c]: 'True' };
  if (c === 'AppConsistent') {
    for (const app of result.Apps) {
      for (const [k, v] of Object.entries(app.Facts)) tags[`${app.Name}.${k}`] = v.slice(0, 128);
    }
  }
  try {
    if (ids.length) await deps.engine.tagSnapshots(ids, tags);
  } catch (e) {
    if (e instanceof AgentError && e.kind === 'TagFailed') throw e;
    throw new AgentError('TagFailed', `tagging snapshots failed: ${describeError(e)}`, {
      cause: e,
    });
  }
  result.Snapshots = group.snapshots.map((s) => ({
    SnapshotId: s.id,
    DiskId: s.diskId,
    Tags: ids.includes(s.id) ? { ...s.tags, ...tags } : s.tags,
  }));
  deps.log.info(tookMessage(c));
}
