// status: the schedules (when each fires next, how its last run ended) and the last runs from
// the history, as text or JSON. What an operator reads the morning after.
import type { Argv } from 'yargs';
import { describeError, exitCodeFor } from '../../errors/exit-code-for.js';
import { ParamsError } from '../../errors/errors.js';
import { exitCodeName } from '../../errors/exit-codes.js';
import { readRuns, type RunRecord } from '../../history/index.js';
import {
  listSchedules,
  realSystemd,
  timerOf,
  type ScheduleConf,
  type Systemd,
} from '../../schedule/index.js';
import { systemRunner } from '../../system/runner.js';
import type { CliContext } from '../context.js';
import { JSON_ALIAS, wantsJson } from '../param-options.js';

export interface ScheduleRow {
  readonly Name: string;
  readonly OnCalendar: string;
  readonly RandomizedDelaySec: number;
  /** The run's -Name. */
  readonly RunName: string;
  /** Next firing, ISO UTC: the timer's (delay included) when systemd runs, else the calendar's. */
  readonly Next: string | undefined;
  /** The timer is enabled and waiting (false also where no systemd runs). */
  readonly Active: boolean;
  readonly LastRun: RunRecord | undefined;
  /** The parameter file could not be read. */
  readonly Error?: string;
}

export async function scheduleRows(
  schedules: readonly (ScheduleConf | { name: string; error: string })[],
  systemd: Systemd,
  runs: readonly RunRecord[],
): Promise<ScheduleRow[]> {
  const running = schedules.length > 0 && (await systemd.running());
  const rows: ScheduleRow[] = [];
  for (const s of schedules) {
    const lastRun = [...runs].reverse().find((r) => r.Schedule === s.name);
    if ('error' in s) {
      rows.push({
        Name: s.name,
        OnCalendar: '',
        RandomizedDelaySec: 0,
        RunName: '',
        Next: undefined,
        Active: false,
        LastRun: lastRun,
        Error: s.error,
      });
      continue;
    }
    const timer = running ? await systemd.timer(timerOf(s.name)) : undefined;
    const calendar = timer?.next ? undefined : await systemd.calendar(s.onCalendar);
    rows.push({
      Name: s.name,
      OnCalendar: s.onCalendar,
      RandomizedDelaySec: s.randomizedDelaySec,
      RunName: runNameOf(s.params),
      Next: timer?.next ?? (calendar?.kind === 'valid' ? calendar.next : undefined),
      Active: timer?.active ?? false,
      LastRun: lastRun,
    });
  }
  return rows;
}

function runNameOf(params: readonly string[]): string {
  const w = [...params].reverse().find((p) => /^-Name=/.test(p));
  return w ? w.slice('-Name='.length) : '';
}

const outcome = (r: RunRecord | undefined) =>
  r
    ? `${r.Time}  exit ${r.ExitCode} ${exitCodeName(r.ExitCode) ?? ''} ${r.Consistency}`
    : 'no run yet';

export function printScheduleRows(rows: readonly ScheduleRow[]): string {
  if (!rows.length) return 'no schedules\n';
  return rows
    .map((r) =>
      r.Error
        ? `${r.Name}: ${r.Error}`
        : `${r.Name}  ${r.OnCalendar}${r.RandomizedDelaySec ? ` (+ up to ${r.RandomizedDelaySec} s)` : ''}  -Name=${r.RunName}\n` +
          `    next ${r.Next ?? 'never'}${r.Active ? '' : ' (timer not active)'}; last ${outcome(r.LastRun)}`,
    )
    .join('\n')
    .concat('\n');
}

function printRuns(runs: readonly RunRecord[]): string {
  if (!runs.length) return 'no runs recorded\n';
  const head = ['TIME (UTC)', 'NAME', 'SCHEDULE', 'EXIT', 'CONSISTENCY', 'WINDOW', 'GROUP'];
  const rows = [...runs]
    .reverse()
    .map((r) => [
      r.Time.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      r.Name,
      r.Schedule ?? '-',
      `${r.ExitCode}${r.ExitCode ? ` ${exitCodeName(r.ExitCode) ?? ''}` : ''}`,
      r.Consistency,
      r.FreezeWindowMs === undefined ? '-' : `${r.FreezeWindowMs} ms`,
      r.SnapshotGroupId ?? '-',
    ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((c, i) => c.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n')
    .concat('\n');
}

export async function statusCommand(
  a: { readonly runs: number; readonly json: boolean },
  ctx: Pick<CliContext, 'io' | 'config'>,
  systemd: Systemd = realSystemd(systemRunner),
): Promise<number> {
  try {
    const all = readRuns(ctx.config.history.dataDir);
    const schedules = await scheduleRows(listSchedules(ctx.config.schedules), systemd, all);
    const runs = all.slice(-a.runs);
    ctx.io.out(
      a.json
        ? `${JSON.stringify({ Schedules: schedules, Runs: [...runs].reverse() }, null, 2)}\n`
        : `Schedules\n${printScheduleRows(schedules)}\nLast runs, newest first\n${printRuns(runs)}`,
    );
    return 0;
  } catch (e) {
    ctx.io.err(`status: ${describeError(e)}\n`);
    return exitCodeFor(e);
  }
}

export function registerStatus(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'status',
    'The schedules (next firing, last outcome) and the last runs (time, name, exit, consistency, window, group)',
    (y) =>
      y
        .option('runs', {
          type: 'number',
          default: 20,
          describe: 'how many of the last runs to show',
        })
        .option('json', JSON_ALIAS)
        .check((a) => {
          if (!Number.isInteger(a.runs) || a.runs < 1)
            throw new ParamsError('--runs: a whole number of at least 1');
          return true;
        }),
    async (a) => ctx.setCode(await statusCommand({ runs: a.runs, json: wantsJson(a) }, ctx)),
  );
}
