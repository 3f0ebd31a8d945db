import type { Argv } from 'yargs';
import { clusterRun, type ClusterReport } from '../../cluster/run.js';
import { FLEET_EXIT } from '../../fleet/report.js';
import { exitName } from '../../fleet/run.js';
import { ParamsError } from '../../errors/errors.js';
import { systemRunner } from '../../system/runner.js';
import type { CliContext } from '../context.js';
import { connect, progressLine } from './fleet.js';

interface ClusterArgs {
  instances?: string;
  region?: string;
  listen: string;
  advertise?: string;
  output: string;
}

export function registerCluster(y: Argv, ctx: CliContext): Argv {
  return y.command(
    'cluster run',
    'One application-consistent snapshot group over several instances: each agent quiesces and freezes, the group is created while every one of them holds its freeze, then all thaw',
    (y) =>
      y
        .option('instances', {
          type: 'string',
          describe: 'the instances, comma-separated, 2 to 16 (also -Instances=)',
        })
        .option('region', { type: 'string', describe: 'region id (also -Region=)' })
        .option('listen', {
          type: 'string',
          default: '0.0.0.0:0',
          describe: 'where the coordinator listens (host:port; port 0: any)',
        })
        .option('advertise', {
          type: 'string',
          describe: "this machine's address as the instances reach it (e.g. its VPC IP)",
        }),
    async (a) => ctx.setCode(await clusterCommand(a as unknown as ClusterArgs, ctx)),
  );
}

async function clusterCommand(a: ClusterArgs, ctx: CliContext): Promise<number> {
  const ids = (a.instances ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (ids.length < 2 || ids.length > 16 || new Set(ids).size !== ids.length)
    throw new ParamsError('cluster run needs 2 to 16 different instances (-Instances=i-1,i-2)');
  if (!a.advertise)
    throw new ParamsError(
      'cluster run needs --advertise: the address the instances reach this machine at',
    );
  const listen = /^(.+):(\d+)$/.exec(a.listen);
  if (!listen) throw new ParamsError('--listen must be host:port');
  const { api, cloud, source } = await connect(a, ctx);
  const say = progressLine(ctx);
  say(`credentials: ${source}; region ${cloud.regionId}`);
  const r = await clusterRun({
    api,
    cloud,
    runner: systemRunner,
    instances: ids,
    agentWords: ctx.raw.map((w) => `-${w.spec.name}=${w.value}`),
    listenHost: listen[1]!,
    listenPort: Number(listen[2]),
    advertiseHost: a.advertise,
    log: say,
    ...(ctx.config.fleetPollMs ? { pollMs: ctx.config.fleetPollMs } : {}),
  });
  const code = r.clusterConsistent ? FLEET_EXIT.AllSucceeded : FLEET_EXIT.SomeFailed;
  printReport(ctx, r, code, a.output === 'json');
  return code;
}

function printReport(ctx: CliContext, r: ClusterReport, code: number, json: boolean): void {
  if (json)
    ctx.io.out(
      `${JSON.stringify(
        {
          ExitCode: code,
          SnapshotGroupId: r.groupId,
          UnclaimedGroupId: r.unclaimedGroupId,
          ClusterConsistent: r.clusterConsistent,
          Aborted: r.aborted,
          Instances: r.instances.map((i) => ({
            InstanceId: i.instanceId,
            ExitCode: i.exitCode,
            ExitName: exitName(i.exitCode),
            Consistency: i.consistency,
            HeldAtPointInTime: i.heldAtPointInTime,
            Error: i.firstError,
          })),
        },
        null,
        2,
      )}\n`,
    );
  else {
    ctx.io.out(
      `group ${r.groupId || '-'}: ${r.clusterConsistent ? 'ClusterConsistent' : `not cluster-consistent${r.aborted ? ` (aborted: ${r.aborted})` : ''}`}\n`,
    );
    if (r.unclaimedGroupId)
      ctx.io.out(
        `group ${r.unclaimedGroupId} came of the failed group call: untagged, crash-consistent at best\n`,
      );
    for (const i of r.instances)
      ctx.io.out(
        `${i.instanceId}  ${i.exitCode ?? '-'} ${exitName(i.exitCode)}  ${i.consistency}  held=${i.heldAtPointInTime}  ${i.firstError || '-'}\n`,
      );
  }
}
