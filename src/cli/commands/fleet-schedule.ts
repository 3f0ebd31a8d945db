// fleet schedule add|list|stop: the agent on many instances on Cloud Assistant's own schedule
// (src/fleet/schedule.ts), with the operator's credentials.
import type { Argv } from 'yargs';
import { ParamsError } from '../../errors/errors.js';
import { describeError, exitCodeFor } from '../../errors/exit-code-for.js';
import {
  addFleetSchedule,
  agentCommand,
  commandTimeoutS,
  listFleetSchedules,
  stopFleetSchedule,
  type FleetSchedule,
} from '../../fleet/index.js';
import { FLEET_EXIT } from '../../fleet/report.js';
import type { CliContext } from '../context.js';
import { connect, FLEET_TARGETS, parseTargets, progressLine } from './fleet.js';

interface FleetScheduleArgs {
  readonly action: 'add' | 'list' | 'stop';
  readonly id?: string;
  readonly frequency?: string;
  readonly instances?: string;
  readonly 'instance-tag'?: string;
  readonly region?: string;
  readonly timeout?: number;
  readonly output: string;
}

function table(schedules: readonly FleetSchedule[]): string {
  if (!schedules.length) return 'no fleet schedules';
  return schedules
    .flatMap((s) => [
      `${s.InvokeId}  ${s.Status.padEnd(8)} ${s.Frequency}  -Name=${s.Name}  (since ${s.CreationTime})`,
      ...s.Instances.map(
        (i) =>
          `    ${i.InstanceId}  runs ${i.Runs}  last: ${i.Runs ? `${i.InvocationStatus}, exit ${i.ExitCode ?? '-'}${i.SnapshotGroupId ? `, ${i.SnapshotGroupId}` : ''}` : 'not yet'}`,
      ),
    ])
    .join('\n');
}

async function add(a: FleetScheduleArgs, ctx: CliContext): Promise<number> {
  if (!a.frequency)
    throw new ParamsError(
      'fleet schedule add needs --frequency (rate(1d), at(...), or a cron expression and zone)',
    );
  const command = agentCommand(ctx.raw.map((r) => `-${r.spec.name}=${r.value}`));
  const { ids, tag } = parseTargets(a, 'fleet schedule add');
  const timeoutS = a.timeout ?? commandTimeoutS(command.params);
  const { cloud, source } = await connect(a, ctx);
  progressLine(ctx)(`credentials: ${source}; region ${cloud.regionId}`);
  const targets = await cloud.instances(ids, tag);
  if (!targets.length) {
    ctx.io.err('app-snapshot-plugin fleet schedule: no instance found\n');
    return FLEET_EXIT.NotStarted;
  }
  const invokeId = await addFleetSchedule(cloud, {
    instances: targets,
    content: command.content,
    name: command.params.name,
    timeoutS,
    frequency: a.frequency,
  });
  ctx.io.out(
    a.output === 'json'
      ? `${JSON.stringify({ InvokeId: invokeId, Frequency: a.frequency, Instances: targets }, null, 2)}\n`
      : `scheduled ${invokeId} on ${targets.length} instance(s): ${a.frequency}; stop it with fleet schedule stop ${invokeId}\n`,
  );
  return FLEET_EXIT.AllSucceeded;
}

async function fleetSchedule(a: FleetScheduleArgs, ctx: CliContext): Promise<number> {
  try {
    if (a.action !== 'add' && ctx.raw.length)
      throw new ParamsError(`fleet schedule ${a.action} takes no agent parameters`);
    if (a.action === 'add') return await add(a, ctx);
    const { cloud } = await connect(a, ctx);
    if (a.action === 'stop') {
      if (!a.id) throw new ParamsError('fleet schedule stop needs the schedule’s InvokeId');
      await stopFleetSchedule(cloud, a.id);
      ctx.io.out(
        a.output === 'json' ? `${JSON.stringify({ Stopped: a.id })}\n` : `stopped ${a.id}\n`,
      );
      return FLEET_EXIT.AllSucceeded;
    }
    const schedules = await listFleetSchedules(cloud);
    ctx.io.out(
      a.output === 'json'
        ? `${JSON.stringify({ Schedules: schedules }, null, 2)}\n`
        : `${table(schedules)}\n`,
    );
    return FLEET_EXIT.AllSucceeded;
  } catch (e) {
    ctx.io.err(`app-snapshot-plugin fleet schedule ${a.action}: ${describeError(e)}\n`);
    // The cloud refusing a parameter (a Frequency it cannot read) is bad input too.
    const refused = /^InvalidParameter/.test((e as { code?: string }).code ?? '');
    return exitCodeFor(e) === 2 || refused ? FLEET_EXIT.BadParameters : FLEET_EXIT.NotStarted;
  }
}

export function registerFleetSchedule(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'schedule <action> [id]',
    "The agent on many instances on Cloud Assistant's own schedule (RunCommand RepeatMode=Period): add --frequency F [agent parameters], list, stop ID",
    (y) =>
      y
        .positional('action', { choices: ['add', 'list', 'stop'] as const })
        .positional('id', { type: 'string', describe: 'stop: the schedule’s InvokeId' })
        .options(FLEET_TARGETS)
        .option('frequency', {
          type: 'string',
          describe:
            'add: rate(1d), at(2026-12-24 02:00:00 Asia/Shanghai), or a cron expression with seconds and a zone: "0 0 2 * * ? Asia/Shanghai"',
        })
        .option('timeout', {
          type: 'number',
          describe: "add: each run's Timeout in seconds; default: the agent's budgets + 120",
        }),
    async (a) => ctx.setCode(await fleetSchedule(a as unknown as FleetScheduleArgs, ctx)),
  );
}
