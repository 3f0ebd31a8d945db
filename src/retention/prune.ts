// `groups prune`: list the groups, decide with the policy (policy.ts), delete what it removes.
// Only groups this agent made are candidates (their snapshots carry the CreatedBy mark); the
// caller holds the agent's lock, so no run of this agent is creating a group meanwhile, and a
// group still in progress is never removed anyway. Deleting is idempotent from the caller's
// point of view: a group already gone counts as deleted, so two prunes at once, or one run
// twice, end in the same state.
import { AgentError } from '../errors/errors.js';
import { planPrune, type Candidate, type Decision, type KeepPolicy } from './policy.js';

import { CREATED_BY } from './mark.js';

export { CREATED_BY };

/** What a prune needs of an engine (SnapshotEngine has it). */
export interface PruneEngine {
  listGroups(): Promise<readonly PrunableGroup[]>;
  deleteGroup(id: string): Promise<void>;
}

export interface PrunableGroup {
  readonly id: string;
  readonly name: string;
  readonly status: 'progressing' | 'accomplished' | 'failed';
  readonly createdAt: string;
  readonly snapshots: readonly {
    readonly tags: Readonly<Record<string, string>>;
    readonly retentionDays?: number;
  }[];
  /** The group's own tags: the mark set at creation. */
  readonly tags?: Readonly<Record<string, string>>;
}

export interface PruneOptions {
  readonly policy: KeepPolicy;
  /** Only the groups whose name this accepts; all names when absent. */
  readonly names?: (name: string) => boolean;
  readonly dryRun: boolean;
  /** Attempts per delete (bounded retries of a failed delete). */
  readonly attempts?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** The clock that decides expiry (tests fix it). */
  readonly now?: number;
}

export interface PruneReport {
  readonly decisions: readonly Decision[];
  readonly deleted: readonly string[];
  readonly failed: readonly { id: string; error: string }[];
}

/** A glob (* any run, ? one character) as a whole-string match. */
export function globMatch(glob: string, text: string): boolean {
  const re = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 's').test(text);
}

/** The consistency a group's snapshots claim: all of them, or less. */
function claimed(g: PrunableGroup): Candidate['consistency'] {
  const all = (k: string) =>
    g.snapshots.length > 0 && g.snapshots.every((s) => s.tags[k] === 'True');
  return all('AppConsistent') ? 'AppConsistent' : all('FsConsistent') ? 'FsConsistent' : 'None';
}

/**
 * Ours: the group carries the mark from its creation, or every snapshot does (a group made by
 * hand or by another tool never does).
 */
const ours = (g: PrunableGroup) =>
  g.tags?.[CREATED_BY.key] === CREATED_BY.value ||
  (g.snapshots.length > 0 && g.snapshots.every((s) => s.tags[CREATED_BY.key] === CREATED_BY.value));

/** When the last of its snapshots expires, if every one has a retention. */
function expiry(g: PrunableGroup): { expiresMs?: number } {
  const made = Date.parse(g.createdAt);
  const days = g.snapshots.map((s) => s.retentionDays);
  if (!days.length || Number.isNaN(made) || days.some((d) => !d)) return {};
  return { expiresMs: made + Math.max(...(days as number[])) * 86_400_000 };
}

export function candidates(
  groups: readonly PrunableGroup[],
  names: (name: string) => boolean = () => true,
): Candidate[] {
  return groups
    .filter((g) => ours(g) && names(g.name))
    .map((g) => ({
      id: g.id,
      name: g.name,
      createdMs: Date.parse(g.createdAt),
      inProgress: g.status === 'progressing' || Number.isNaN(Date.parse(g.createdAt)),
      failed: g.status === 'failed',
      ...expiry(g),
      consistency: claimed(g),
      // Tags every snapshot of the group has, with the same value.
      tags: Object.fromEntries(
        Object.entries(g.snapshots[0]?.tags ?? {}).filter(([k, v]) =>
          g.snapshots.every((s) => s.tags[k] === v),
        ),
      ),
    }));
}

async function deleteOne(e: PruneEngine, id: string, o: PruneOptions): Promise<string | undefined> {
  const attempts = Math.max(1, o.attempts ?? 3);
  const sleep = o.sleep ?? ((ms) => new Promise<void>((r) => setTimeout(r, ms)));
  let last = '';
  for (let i = 0; i < attempts; i++) {
    try {
      await e.deleteGroup(id);
      return undefined;
    } catch (err) {
      if (isGone(err)) return undefined;
      last = (err as Error).message;
      // A group another run is still creating stays: nothing to retry.
      if (err instanceof AgentError && err.kind === 'SnapshotInProgress') break;
      if (i + 1 < attempts) await sleep(1000 * 2 ** i);
    }
  }
  return last;
}

/** A delete of a group that no longer exists (another prune was first): done, not failed. */
function isGone(err: unknown): boolean {
  return /NotFound|no such group|not found/i.test((err as Error).message ?? '');
}

/** Plans, and unless it is a dry run, deletes what the plan removes (one at a time). */
export async function prune(e: PruneEngine, o: PruneOptions): Promise<PruneReport> {
  const decisions = planPrune(candidates(await e.listGroups(), o.names), o.policy, o.now);
  const deleted: string[] = [];
  const failed: { id: string; error: string }[] = [];
  if (o.dryRun) return { decisions, deleted, failed };
  for (const d of decisions.filter((x) => !x.keep)) {
    const error = await deleteOne(e, d.group.id, o);
    if (error === undefined) deleted.push(d.group.id);
    else failed.push({ id: d.group.id, error });
  }
  return { decisions, deleted, failed };
}
