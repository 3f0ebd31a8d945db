// What `fleet run` ends with: one row per instance (a table, or one JSON document), and the
// fleet's exit code. The budget its commands get is derived here too.
import type { Params } from '../params/validate.js';
import { exitName, type InstanceOutcome } from './run.js';

/** The fleet command's own exit codes (distinct from the agent's 0-16 and 255). */
export const FLEET_EXIT = {
  AllSucceeded: 0,
  BadParameters: 2,
  SomeFailed: 20,
  NotStarted: 21,
  Interrupted: 22,
} as const;

/** What each fleet exit code means: the docs' table and the man page come from here. */
export const FLEET_EXIT_MEANING: Record<keyof typeof FLEET_EXIT, string> = {
  AllSucceeded: 'every instance exited 0',
  BadParameters: "a parameter is wrong (the agent's or the fleet's): nothing was started",
  SomeFailed: 'at least one instance did not succeed: see its row',
  NotStarted: 'no instance could be started: credentials, region, targets or the API',
  Interrupted: 'interrupted (Ctrl-C): running instances were sent StopInvocation',
};

/** Startup, validation, the group call and tagging: what the agent needs beyond its budgets. */
export const MARGIN_S = 120;

/**
 * RunCommand's Timeout for one run of the agent: each script's ScriptTimeoutInSeconds, the
 * freeze window (TimeoutInSeconds), the wait for the group (GroupTimeoutInSeconds), and a
 * margin. Cloud Assistant kills the command at this point, so it must not be shorter than the
 * agent's own worst case (invariant 6).
 */
export function commandTimeoutS(p: Params): number {
  const scripts = (p.preScriptPath ? 1 : 0) + (p.postScriptPath ? 1 : 0);
  return (
    scripts * p.scriptTimeoutInSeconds + p.timeoutInSeconds + p.groupTimeoutInSeconds + MARGIN_S
  );
}

export function fleetExit(outcomes: readonly InstanceOutcome[], interrupted: boolean): number {
  if (interrupted) return FLEET_EXIT.Interrupted;
  return outcomes.length && outcomes.every((o) => o.exitCode === 0)
    ? FLEET_EXIT.AllSucceeded
    : FLEET_EXIT.SomeFailed;
}

export function toJson(outcomes: readonly InstanceOutcome[], code: number): unknown {
  return {
    ExitCode: code,
    Instances: outcomes.map((o) => ({
      InstanceId: o.instanceId,
      ExitCode: o.exitCode,
      ExitName: exitName(o.exitCode),
      InvocationStatus: o.status,
      ErrorCode: o.errorCode,
      Consistency: o.consistency,
      SnapshotGroupId: o.groupId,
      DurationMs: o.durationMs,
      Attempts: o.attempts,
      Error: o.firstError,
    })),
  };
}

export function toTable(outcomes: readonly InstanceOutcome[]): string {
  const rows = [
    ['instance', 'exit', 'consistency', 'group', 'duration', 'error'],
    ...outcomes.map((o) => [
      o.instanceId,
      o.exitCode === null
        ? `- ${o.status}${o.errorCode ? `/${o.errorCode}` : ''}`
        : `${o.exitCode} ${exitName(o.exitCode)}`,
      o.consistency,
      o.groupId || '-',
      `${(o.durationMs / 1000).toFixed(1)}s`,
      o.firstError.slice(0, 120) || '-',
    ]),
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  return rows
    .map((r) =>
      r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  '),
    )
    .join('\n');
}
