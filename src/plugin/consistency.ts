// What a snapshot may claim, in one place: never more than is true (invariant 6). The run
// asks these in order: intentOf before anything runs; freezeHeldUntil after the thaw; decide
// after the release and the post-script; then tagSet and taggedIds for the tag call, and
// snapshotsOf for the result. All are pure; consistency.test.ts is their table.
import type { GroupInfo } from '../engines/types.js';
import type { FreezePlan } from '../freeze/plan.js';
import type { ThawOutcome } from '../freeze/types.js';
import type { RunResult } from './result.js';

export type Consistency = 'AppConsistent' | 'FsConsistent' | 'None';

/** What a run aims for if everything succeeds. */
export function intentOf(o: {
  readonly preScript: boolean;
  readonly apps: number;
  readonly enableFsFreeze: boolean;
}): Consistency {
  // The vendor's rule (no freeze, the user's scripts vouch) is about the user's scripts. Our
  // quiescers know better: a locked database may still have pages in the page cache that
  // only a freeze writes out, and a clone of a live filesystem restored without them fails
  // (aria_log_control too short, ibdata1 of another size: test/integration/cluster-proof).
  if (o.apps && !o.enableFsFreeze) return 'None';
  if (o.preScript || o.apps) return 'AppConsistent';
  return o.enableFsFreeze ? 'FsConsistent' : 'None';
}

/** Who ended the freeze, as the log and the reasons say it. */
export const THAWED_BY: Record<ThawOutcome['reason'], string> = {
  requested: 'on request',
  deadline: 'by the watchdog: deadline',
  'agent-gone': 'by the watchdog: agent gone',
  signal: 'by the watchdog: signal',
  'freeze-failed': 'by the watchdog: freeze failed',
  'agent-deadline': 'by the agent at the deadline: the watchdog had not thawed',
  'watchdog-lost': 'by the agent: the watchdog died or stopped answering',
};

/** Whether the freeze provably held from before the point in time until after it. */
export function freezeHeldUntil(
  thaw: ThawOutcome,
  pointInTimeNs: bigint | undefined,
): { ok: true } | { ok: false; why: string } {
  if (thaw.reason === 'requested') return { ok: true };
  if (thaw.reason === 'watchdog-lost') {
    return {
      ok: false,
      why: 'the freeze watchdog died or stopped answering: when the freeze ended cannot be known',
    };
  }
  if (pointInTimeNs !== undefined && BigInt(thaw.thawStartNs) >= pointInTimeNs) return { ok: true };
  return {
    ok: false,
    why: `the filesystems were thawed (${THAWED_BY[thaw.reason]}) before the snapshot point was fixed`,
  };
}

/**
 * What the snapshots may claim. `freezeHeld` is false after any freeze or thaw failure
 * (window.ts): this is the one gate before a tag.
 */
export function decide(
  intent: Consistency,
  enableFsFreeze: boolean,
  scriptsOk: boolean,
  freezeHeld: boolean,
): Consistency {
  const appOk = intent === 'AppConsistent' && scriptsOk;
  if (!enableFsFreeze) return appOk ? 'AppConsistent' : 'None';
  if (!freezeHeld) return 'None';
  return appOk ? 'AppConsistent' : 'FsConsistent';
}

/** The tags of a claim: the claim itself, and under AppConsistent what the quiescers recorded. */
export function tagSet(
  c: Exclude<Consistency, 'None'>,
  apps: RunResult['Apps'],
): Record<string, string> {
  const tags: Record<string, string> = { [c]: 'True' };
  if (c === 'AppConsistent') {
    // A tag value holds 128 characters (the vendor's limit).
    for (const app of apps) {
      for (const [k, v] of Object.entries(app.Facts)) tags[`${app.Name}.${k}`] = v.slice(0, 128);
    }
  }
  return tags;
}

/** The snapshots a claim covers: not those of a disk with a filesystem the run could not freeze. */
export function taggedIds(
  group: GroupInfo,
  freeze: Pick<FreezePlan, 'uncoveredDisks'> | undefined,
): string[] {
  const uncovered = (diskId: string) => freeze?.uncoveredDisks.includes(diskId) === true;
  return group.snapshots.filter((s) => !uncovered(s.diskId)).map((s) => s.id);
}

/** The result's Snapshots: each with the tags it has, plus those this run gave it. */
export function snapshotsOf(
  group: GroupInfo,
  tagged: { readonly ids: readonly string[]; readonly tags: Record<string, string> } | undefined,
): RunResult['Snapshots'] {
  return group.snapshots.map((s) => ({
    SnapshotId: s.id,
    DiskId: s.diskId,
    Tags: tagged?.ids.includes(s.id) ? { ...s.tags, ...tagged.tags } : s.tags,
  }));
}
