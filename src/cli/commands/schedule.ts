// schedule add|list|remove|run: snapshots on a systemd timer (src/schedule/). The timer's
// service runs `schedule run NAME`, as a person can.
import type { Argv } from 'yargs';
import { describeError, exitCodeFor } from '../../errors/exit-code-for.js';
import { ParamsError } from '../../errors/errors.js';
import { extractParams, type RawParam } from '../../params/index.js';
import { selfCommand } from '../../freeze/self-command.js';
import {
  addSchedule,
  listSchedules,
  parseDelay,
  readSchedule,
  realSystemd,
  removeSchedule,
  type ScheduleDeps,
} from '../../schedule/index.js';
import { systemRunner } from '../../system/runner.js';
import type { CliContext } from '../context.js';
import { JSON_ALIAS, wantsJson } from '../param-options.js';
import { scheduleRows, printScheduleRows } from './status.js';
import { recordFailure, snapshotCommand, validateOrRecord } from './snapshot.js';

export interface ScheduleArgs {
  readonly action: 'add' | 'list' | 'remove' | 'run';
  readonly name?: string;
  readonly onCalendar?: string;
  readonly randomizedDelay?: string;
  readonly json: boolean;
}

/** A parameter as the run parses it back: the canonical Go-flag spelling. */
const word = (r: RawParam) => `-${r.spec.name}=${r.value}`;

/** How the template service starts this agent, when schedule add writes the units itself. */
export function agentCommand(): string {
  const self = selfCommand();
  return [self.file, ...self.args.slice(0, -1)].map((w) => (/\s/.test(w) ? `"${w}"` : w)).join(' ');
}

export async function scheduleCommand(
  a: ScheduleArgs,
  ctx: Pick<CliContext, 'io' | 'config' | 'raw' | 'hooks'>,
  deps: ScheduleDeps = {
    paths: ctx.config.schedules,
    systemd: realSystemd(systemRunner),
    agentCommand: agentCommand(),
  },
): Promise<number> {
  const { io } = ctx;
  try {
    if (a.action !== 'add' && ctx.raw.length)
      throw new ParamsError(`schedule ${a.action} takes no run parameters (${word(ctx.raw[0]!)})`);
    if (a.action !== 'list' && !a.name) throw new ParamsError(`schedule ${a.action} needs a name`);
    switch (a.action) {
      case 'add': {
        if (!a.onCalendar) throw new ParamsError('schedule add needs --on-calendar');
        const r = await addSchedule(deps, {
          name: a.name!,
          onCalendar: a.onCalendar,
          randomizedDelaySec: a.randomizedDelay ? parseDelay(a.randomizedDelay) : 0,
          params: ctx.raw.map(word),
        });
        const next =
          r.calendar.kind === 'valid' ? (r.calendar.next ?? 'never') : 'see schedule list';
        io.out(
          a.json
            ? `${JSON.stringify({ ...r.conf, Next: next, Enabled: r.enabled }, null, 2)}\n`
            : `schedule ${a.name} added: ${r.conf.onCalendar}, next ${next}${r.enabled ? '' : ' (no systemd runs here: the timer is not started)'}\n`,
        );
        return 0;
      }
      case 'list': {
        const rows = await scheduleRows(listSchedules(deps.paths), deps.systemd, []);
        io.out(a.json ? `${JSON.stringify(rows, null, 2)}\n` : printScheduleRows(rows));
        return 0;
      }
      case 'remove':
        await removeSchedule(deps, a.name!);
        io.out(
          a.json ? `${JSON.stringify({ removed: a.name })}\n` : `schedule ${a.name} removed\n`,
        );
        return 0;
      case 'run': {
        return await runSchedule(a.name!, a.json, deps, ctx);
      }
    }
  } catch (e) {
    io.err(`schedule ${a.action}: ${describeError(e)}\n`);
    return exitCodeFor(e);
  }
}

/** `schedule run`: the run as the timer starts it. One that cannot start is recorded too. */
async function runSchedule(
  name: string,
  json: boolean,
  deps: ScheduleDeps,
  ctx: Pick<CliContext, 'io' | 'config' | 'hooks'>,
): Promise<number> {
  let raw: RawParam[];
  try {
    raw = extractParams(readSchedule(deps.paths, name).params).params;
  } catch (e) {
    await recordFailure(ctx, e, '', name);
    throw e;
  }
  const params = await validateOrRecord({ ...ctx, raw }, name);
  return snapshotCommand(params, json ? 'json' : 'text', { ...ctx, watchdog: undefined }, name);
}

export function registerSchedule(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'schedule <action> [name]',
    'Snapshot on a schedule with a systemd timer: add NAME --on-calendar SPEC [parameters], list, remove NAME, run NAME (now)',
    (y) =>
      y
        .positional('action', { choices: ['add', 'list', 'remove', 'run'] as const })
        .positional('name', { type: 'string', describe: 'the schedule (letters, digits, _ . -)' })
        .option('on-calendar', {
          type: 'string',
          describe:
            'add: when, as systemd.time(7) OnCalendar: daily, "*-*-* 02:00:00", "Mon..Fri 22:30"',
        })
        .option('randomized-delay', {
          type: 'string',
          describe: 'add: start up to this much later, at random (30s, 10m, 1h): spreads a fleet',
        })
        .option('json', JSON_ALIAS),
    async (a) =>
      ctx.setCode(
        await scheduleCommand(
          {
            action: a.action!,
            ...(a.name ? { name: a.name } : {}),
            ...(a['on-calendar'] ? { onCalendar: a['on-calendar'] } : {}),
            ...(a['randomized-delay'] ? { randomizedDelay: a['randomized-delay'] } : {}),
            json: wantsJson(a),
          },
          ctx,
        ),
      ),
  );
}
