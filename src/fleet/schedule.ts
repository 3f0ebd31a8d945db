// `fleet schedule`: the agent on many instances on a schedule kept by Cloud Assistant itself
// (RunCommand with RepeatMode=Period and a Frequency), so nothing on the operator's machine has
// to stay up. Ours are the periodic commands whose name starts with SCHEDULE_PREFIX.
import type { FleetCloud, PeriodicInvocation } from './cloud.js';
import { ParamsError } from '../errors/errors.js';
import { readRunLog } from '../report/log-format.js';

export const SCHEDULE_PREFIX = 'app-snapshot-plugin schedule ';

export interface FleetSchedule {
  readonly InvokeId: string;
  /** The agent's -Name. */
  readonly Name: string;
  readonly Frequency: string;
  /** Pending (will fire), Stopped, Finished (an at() that has fired), as the cloud says. */
  readonly Status: string;
  readonly CreationTime: string;
  readonly Instances: {
    readonly InstanceId: string;
    readonly Runs: number;
    /** The latest run: the agent's exit code (null while it runs or when it never started). */
    readonly ExitCode: number | null;
    readonly InvocationStatus: string;
    readonly SnapshotGroupId: string;
  }[];
}

export async function addFleetSchedule(
  cloud: FleetCloud,
  o: {
    readonly instances: readonly string[];
    readonly content: string;
    readonly name: string;
    readonly timeoutS: number;
    readonly frequency: string;
  },
): Promise<string> {
  return cloud.runCommand(
    o.instances,
    o.content,
    o.timeoutS,
    `${SCHEDULE_PREFIX}${o.name}`,
    o.frequency,
  );
}

/** Our periodic commands, each with every instance's latest run. */
export async function listFleetSchedules(cloud: FleetCloud): Promise<FleetSchedule[]> {
  const ours = (await cloud.periodicInvocations()).filter((i) =>
    i.CommandName.startsWith(SCHEDULE_PREFIX),
  );
  const out: FleetSchedule[] = [];
  for (const inv of ours) out.push(await withResults(cloud, inv));
  return out;
}

async function withResults(cloud: FleetCloud, inv: PeriodicInvocation): Promise<FleetSchedule> {
  const results = await cloud.results(inv.InvokeId);
  return {
    InvokeId: inv.InvokeId,
    Name: inv.CommandName.slice(SCHEDULE_PREFIX.length),
    Frequency: inv.Frequency,
    Status: inv.InvocationStatus,
    CreationTime: inv.CreationTime,
    Instances: inv.InvokeInstances.InvokeInstance.map((ii) => {
      const r = results.find((x) => x.InstanceId === ii.InstanceId);
      const log = r?.Output ? Buffer.from(r.Output, 'base64').toString('utf8') : '';
      return {
        InstanceId: ii.InstanceId,
        Runs: r?.Repeats ?? ii.Repeats,
        ExitCode: r?.ExitCode ?? null,
        InvocationStatus: r?.InvocationStatus ?? ii.InvocationStatus,
        SnapshotGroupId: readRunLog(log).groupId ?? '',
      };
    }),
  };
}

/** Ends one of ours: Cloud Assistant fires it no more (a run in progress is stopped too). */
export async function stopFleetSchedule(cloud: FleetCloud, invokeId: string): Promise<void> {
  const ours = (await cloud.periodicInvocations()).some(
    (i) => i.InvokeId === invokeId && i.CommandName.startsWith(SCHEDULE_PREFIX),
  );
  // Someone else's command is not ours to stop.
  if (!ours)
    throw new ParamsError(`${invokeId} is not a schedule of fleet schedule (fleet schedule list)`);
  await cloud.stop(invokeId, []);
}
