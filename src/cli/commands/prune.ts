// `groups prune`: the retention policy (retention/) over this instance's groups, under the
// agent's lock (no run of this agent makes a group meanwhile). A dry run prints the plan and
// deletes nothing; a real one deletes what the plan removes and says what was and was not.
import type { SnapshotEngine } from '../../engines/types.js';
import { describeError, exitCodeFor } from '../../errors/exit-code-for.js';
import { parseKeepOptions, type KeepOptions } from '../../retention/options.js';
import { globMatch, prune, type PruneReport } from '../../retention/prune.js';
import type { Decision } from '../../retention/policy.js';
import type { Lock } from '../../system/lock.js';
import type { Io } from '../io.js';

/** The exit codes of a prune (docs/110 shows them, generated). */
export const PRUNE_EXIT = {
  Done: 0,
  BadParameters: 2,
  Busy: 16,
  SomeNotDeleted: 20,
} as const;

export const PRUNE_EXIT_MEANING: Record<keyof typeof PRUNE_EXIT, string> = {
  Done: 'every group the plan removes was deleted (or it was a dry run)',
  BadParameters: 'a keep option is malformed, or there is none: nothing was listed or deleted',
  Busy: 'another run of this agent holds the lock: nothing was deleted; try again later',
  SomeNotDeleted:
    'some groups the plan removes could not be deleted: each is listed with the reason',
};

export interface PruneArgs extends KeepOptions {
  readonly name?: string;
  readonly dryRun: boolean;
  readonly json: boolean;
}

const when = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16);

function table(decisions: readonly Decision[], r: PruneReport, dryRun: boolean): string {
  const failed = new Map(r.failed.map((f) => [f.id, f.error]));
  const action = (d: Decision) =>
    d.keep ? 'keep' : dryRun ? 'remove' : failed.has(d.group.id) ? 'NOT removed' : 'removed';
  const rows = decisions.map((d) => [
    d.group.name,
    d.group.id,
    when(d.group.createdMs),
    d.group.consistency,
    action(d),
    failed.get(d.group.id) ?? d.reasons.join(', '),
  ]);
  const all = [['name', 'group', 'created (UTC)', 'consistency', 'action', 'why'], ...rows];
  const w = all[0]!.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  const lines = all.map((row) =>
    row
      .map((c, i) => c.padEnd(w[i]!))
      .join('  ')
      .trimEnd(),
  );
  const removed = decisions.filter((d) => !d.keep).length;
  const summary = dryRun
    ? `dry run: ${decisions.length - removed} kept, ${removed} would be removed`
    : `${decisions.length - removed} kept, ${r.deleted.length} removed${r.failed.length ? `, ${r.failed.length} NOT removed` : ''}`;
  return [...lines, summary].join('\n');
}

/** The plan in the JSON output (groups prune and fleet prune). */
export function groupsJson(decisions: readonly Decision[]): unknown[] {
  return decisions.map((d) => ({
    Name: d.group.name,
    SnapshotGroupId: d.group.id,
    CreatedAt: new Date(d.group.createdMs).toISOString(),
    Consistency: d.group.consistency,
    Keep: d.keep,
    Reasons: d.reasons,
  }));
}

function json(r: PruneReport, dryRun: boolean, code: number): unknown {
  return {
    ExitCode: code,
    DryRun: dryRun,
    Groups: groupsJson(r.decisions),
    Deleted: r.deleted,
    NotDeleted: r.failed.map((f) => ({ SnapshotGroupId: f.id, Error: f.error })),
  };
}

export async function pruneCommand(
  a: PruneArgs,
  io: Io,
  engine: () => SnapshotEngine,
  lock: () => Lock,
): Promise<number> {
  let held: Lock | undefined;
  try {
    const policy = parseKeepOptions(a);
    held = lock();
    const r = await prune(engine(), {
      policy,
      dryRun: a.dryRun,
      ...(a.name !== undefined ? { names: (n: string) => globMatch(a.name!, n) } : {}),
    });
    const code = r.failed.length ? PRUNE_EXIT.SomeNotDeleted : PRUNE_EXIT.Done;
    io.out(
      a.json
        ? `${JSON.stringify(json(r, a.dryRun, code), null, 2)}\n`
        : `${table(r.decisions, r, a.dryRun)}\n`,
    );
    return code;
  } catch (e) {
    io.err(`groups prune: ${describeError(e)}\n`);
    return exitCodeFor(e);
  } finally {
    held?.release();
  }
}
