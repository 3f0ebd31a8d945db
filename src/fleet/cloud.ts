// The Cloud Assistant and ECS calls the fleet command makes, typed, over the same signed client
// the agent uses (cloud/client.ts). Shapes as DescribeInvocationResults and friends
// answer them (https://help.aliyun.com/document_detail/64845.html; DescribeInstances in the
// ECS API reference, version 2014-05-26).
import { allSnapshotGroups, type EcsApi } from '../cloud/index.js';

export interface InvocationResult {
  readonly InstanceId: string;
  /** A periodic command: how many times it ran there (the result is the latest run's). */
  readonly Repeats?: number;
  readonly InvocationStatus: string;
  readonly ExitCode: number | null;
  readonly ErrorCode?: string;
  readonly ErrorInfo?: string;
  readonly Output?: string;
  readonly Dropped?: number;
  readonly StartTime?: string;
  readonly FinishedTime?: string;
}

/** A periodic command as DescribeInvocations answers it. */
export interface PeriodicInvocation {
  readonly InvokeId: string;
  readonly CommandName: string;
  readonly Frequency: string;
  readonly InvocationStatus: string;
  readonly CreationTime: string;
  readonly InvokeInstances: {
    readonly InvokeInstance: {
      readonly InstanceId: string;
      readonly Repeats: number;
      readonly InvocationStatus: string;
    }[];
  };
}

/** Statuses after which nothing more happens to an instance's invocation. */
export const FINAL = new Set([
  'Success',
  'Failed',
  'Error',
  'Timeout',
  'Cancelled',
  'Terminated',
  'Aborted',
  'Invalid',
]);

/** RunCommand's Name is 1-128 characters (the ECS SDK's RunCommandRequest). */
export const COMMAND_NAME_MAX = 128;

/**
 * The command's name as the console shows it: cut to COMMAND_NAME_MAX characters (not bytes:
 * a -Name may be Chinese), ending in "..." when cut. The run's -Name itself travels whole, in
 * the command content.
 */
export function commandName(name: string): string {
  const chars = [...name];
  return chars.length <= COMMAND_NAME_MAX
    ? name
    : `${chars.slice(0, COMMAND_NAME_MAX - 3).join('')}...`;
}

export class FleetCloud {
  constructor(
    private readonly api: EcsApi,
    readonly regionId: string,
  ) {}

  /** Instances by id and/or tag (paged); with neither, none. */
  async instances(
    ids: readonly string[],
    tag?: { key: string; value?: string },
  ): Promise<string[]> {
    const out = new Set<string>();
    for (const query of [
      ...(ids.length ? [{ InstanceIds: JSON.stringify(ids) }] : []),
      ...(tag
        ? [
            {
              'Tag.1.Key': tag.key,
              ...(tag.value !== undefined ? { 'Tag.1.Value': tag.value } : {}),
            },
          ]
        : []),
    ]) {
      let token = '';
      do {
        const r = await this.api.call<{
          Instances: { Instance: { InstanceId: string }[] };
          NextToken?: string;
        }>('DescribeInstances', {
          RegionId: this.regionId,
          MaxResults: 100,
          ...query,
          ...(token ? { NextToken: token } : {}),
        });
        for (const i of r.Instances.Instance) out.add(i.InstanceId);
        token = r.NextToken ?? '';
      } while (token);
    }
    return [...out];
  }

  /** `frequency`: Cloud Assistant runs it on that schedule (RepeatMode=Period), not now. */
  async runCommand(
    instances: readonly string[],
    content: string,
    timeoutS: number,
    name: string,
    frequency?: string,
  ): Promise<string> {
    const params: Record<string, unknown> = {
      RegionId: this.regionId,
      Type: 'RunShellScript',
      CommandContent: Buffer.from(content).toString('base64'),
      ContentEncoding: 'Base64',
      Timeout: timeoutS,
      Name: commandName(name),
      ...(frequency ? { RepeatMode: 'Period', Frequency: frequency } : {}),
    };
    instances.forEach((id, n) => (params[`InstanceId.${n + 1}`] = id));
    const r = await this.api.call<{ InvokeId: string }>('RunCommand', params);
    return r.InvokeId;
  }

  async results(invokeId: string): Promise<InvocationResult[]> {
    const r = await this.api.call<{
      Invocation: { InvocationResults: { InvocationResult: InvocationResult[] } };
    }>('DescribeInvocationResults', {
      RegionId: this.regionId,
      InvokeId: invokeId,
      ContentEncoding: 'Base64',
      PageSize: 50,
    });
    return r.Invocation.InvocationResults.InvocationResult;
  }

  /** The periodic commands of the region (every page of DescribeInvocations). */
  async periodicInvocations(): Promise<PeriodicInvocation[]> {
    const out: PeriodicInvocation[] = [];
    for (let page = 1; ; page++) {
      const r = await this.api.call<{
        Invocations: { Invocation: PeriodicInvocation[] };
        TotalCount: number;
      }>('DescribeInvocations', {
        RegionId: this.regionId,
        RepeatMode: 'Period',
        PageSize: 50,
        PageNumber: page,
      });
      out.push(...r.Invocations.Invocation);
      if (!r.Invocations.Invocation.length || out.length >= r.TotalCount) return out;
    }
  }

  async stop(invokeId: string, instances: readonly string[]): Promise<void> {
    const params: Record<string, unknown> = { RegionId: this.regionId, InvokeId: invokeId };
    instances.forEach((id, n) => (params[`InstanceId.${n + 1}`] = id));
    await this.api.call('StopInvocation', params);
  }

  /** Groups of `instanceId` named `name` created since `sinceMs` (a run's own, in flight or not). */
  async groupsSince(instanceId: string, name: string, sinceMs: number): Promise<string[]> {
    const groups = await allSnapshotGroups<{
      SnapshotGroupId: string;
      Name?: string;
      CreationTime?: string;
    }>(this.api, { RegionId: this.regionId, InstanceId: instanceId, Name: name });
    return groups
      .filter((g) => g.Name === name && Date.parse(g.CreationTime ?? '') >= sinceMs - 1000)
      .map((g) => g.SnapshotGroupId);
  }
}
