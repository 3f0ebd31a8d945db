// One line of the run history: what `status` shows and the metrics are made of. Small and
// flat on purpose (a few hundred bytes: one atomic append), and never a secret: the error
// text is the run's last log line, which is already free of them.
import type { Consistency } from '../plugin/consistency.js';
import type { RunResult } from '../plugin/result.js';

export interface RunRecord {
  /** When the run ended, ISO 8601 UTC. */
  readonly Time: string;
  /** The run's -Name as given (an invalid one too: its runs still need counting), or '-'. */
  readonly Name: string;
  /** The schedule that started it, if a schedule did. */
  readonly Schedule?: string;
  readonly ExitCode: number;
  readonly Consistency: Consistency;
  readonly SnapshotGroupId?: string;
  readonly Snapshots: number;
  /** First freeze to last thaw; absent when nothing was frozen. */
  readonly FreezeWindowMs?: number;
  /** The longest any built-in quiescer held its database lock; absent without one. */
  readonly LockHeldMs?: number;
  readonly DurationMs: number;
  readonly Error?: string;
}

/** Who a run was and how it started: what the result alone does not say. */
export interface RunOrigin {
  readonly name: string;
  readonly schedule?: string;
  readonly endedAt: Date;
}

const round = (ms: number) => Math.round(ms * 10) / 10;

export function recordOf(result: RunResult, origin: RunOrigin): RunRecord {
  const window = result.Timings.freezeWindow;
  return {
    Time: origin.endedAt.toISOString(),
    Name: origin.name || '-',
    ...(origin.schedule ? { Schedule: origin.schedule } : {}),
    ExitCode: result.ExitCode,
    Consistency: result.Consistency,
    ...(result.SnapshotGroupId ? { SnapshotGroupId: result.SnapshotGroupId } : {}),
    Snapshots: result.Snapshots.length,
    ...(window !== undefined ? { FreezeWindowMs: round(window) } : {}),
    ...(result.Apps.length
      ? { LockHeldMs: round(Math.max(...result.Apps.map((a) => a.HeldMs))) }
      : {}),
    DurationMs: round(result.Timings.total ?? 0),
    ...(result.Error ? { Error: result.Error.slice(0, 500) } : {}),
  };
}

const CONSISTENCIES: readonly string[] = ['AppConsistent', 'FsConsistent', 'None'];

/** A history line back to a record; undefined for anything that is not one (a torn or foreign line). */
export function parseRecord(line: string): RunRecord | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  const r = v as Partial<RunRecord> | null;
  if (
    !r ||
    typeof r.Time !== 'string' ||
    Number.isNaN(Date.parse(r.Time)) ||
    typeof r.Name !== 'string' ||
    typeof r.ExitCode !== 'number' ||
    typeof r.Consistency !== 'string' ||
    !CONSISTENCIES.includes(r.Consistency) ||
    typeof r.Snapshots !== 'number' ||
    typeof r.DurationMs !== 'number'
  )
    return undefined;
  return r as RunRecord;
}
