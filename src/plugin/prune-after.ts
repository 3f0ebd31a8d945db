// The keep options on a snapshot run: after a run that succeeded (exit 0), prune this -Name's
// groups with them, never after a failed one (the last good groups must survive a bad night).
// The run holds the agent's lock already, so no other run makes a group meanwhile.
import type { Params } from '../params/index.js';
import { anyKeepOption, parseKeepOptions } from '../retention/options.js';
import type { KeepPolicy } from '../retention/policy.js';
import { prune } from '../retention/prune.js';
import type { Deps } from './deps.js';
import type { RunResult } from './result.js';

type KeepParams = Pick<
  Params,
  | 'keepLast'
  | 'keepHourly'
  | 'keepDaily'
  | 'keepWeekly'
  | 'keepMonthly'
  | 'keepYearly'
  | 'keepWithin'
  | 'keepTag'
>;

/** The run's keep policy, or undefined when it has none; a malformed one is exit 2. */
export function keepPolicyOf(p: KeepParams): KeepPolicy | undefined {
  const n = (v: number) => (v > 0 ? String(v) : undefined);
  const o = {
    keepLast: n(p.keepLast),
    keepHourly: n(p.keepHourly),
    keepDaily: n(p.keepDaily),
    keepWeekly: n(p.keepWeekly),
    keepMonthly: n(p.keepMonthly),
    keepYearly: n(p.keepYearly),
    keepWithin: p.keepWithin || undefined,
    keepTag: p.keepTag,
  };
  return anyKeepOption(o) ? parseKeepOptions(o) : undefined;
}

/** Prunes the name's groups; what happened goes to the result and the log, never the exit code. */
export async function pruneAfterRun(
  deps: Deps,
  name: string,
  policy: KeepPolicy,
  result: RunResult,
): Promise<void> {
  const r = await prune(deps.engine, { policy, names: (n) => n === name, dryRun: false });
  result.Pruned = {
    Kept: r.decisions.filter((d) => d.keep).map((d) => d.group.id),
    Removed: [...r.deleted],
    NotRemoved: r.failed.map((f) => ({ SnapshotGroupId: f.id, Error: f.error })),
  };
  deps.log.info(
    `Prune ${name}: ${result.Pruned.Kept.length} kept, ${r.deleted.length} removed${r.deleted.length ? ` (${r.deleted.join(', ')})` : ''}`,
  );
  for (const f of r.failed) {
    const w = `prune: group ${f.id} was not removed: ${f.error}`;
    result.Warnings.push(w);
    deps.log.warn(w);
  }
}
