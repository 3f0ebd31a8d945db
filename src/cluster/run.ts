// `cluster run`: one application-consistent snapshot group over several instances. Phases:
// a per-run certificate and a token per instance; the coordinator listens; every instance gets
// the agent in participant mode through Cloud Assistant (its token in the command's environment,
// never an argv word); the protocol runs (coordinator.ts) while each invocation is watched (an
// agent that ends before reporting aborts the others); the group is awaited; and it is tagged
// ClusterConsistent only if every instance held its freeze across the point in time and its run
// succeeded.
import { randomBytes } from 'node:crypto';
import { Deadline } from '../system/clock.js';
import { allSnapshotGroups, type EcsApi } from '../cloud/index.js';
import {
  agentCommand,
  commandTimeoutS,
  FINAL,
  outcome,
  type FleetCloud,
  type InstanceOutcome,
} from '../fleet/index.js';
import type { Runner } from '../system/runner.js';
import { runCertificate } from './cert.js';
import { Coordinator, type ClusterOutcome } from './coordinator.js';

export interface ClusterRunOptions {
  readonly api: EcsApi;
  readonly cloud: FleetCloud;
  readonly runner: Runner;
  readonly instances: readonly string[];
  /** The agent's parameters (Go-flag words), as for `fleet run`. */
  readonly agentWords: readonly string[];
  readonly listenHost: string;
  readonly listenPort: number;
  /** The address the instances reach this coordinator at. */
  readonly advertiseHost: string;
  readonly log: (line: string) => void;
  readonly pollMs?: number;
}

export interface ClusterReport {
  readonly groupId: string;
  /**
   * The group the call made although it failed (no answer): found by its name after the abort,
   * untagged, crash-consistent at best. Empty when none was found or none was looked for.
   */
  readonly unclaimedGroupId: string;
  readonly aborted: string;
  readonly clusterConsistent: boolean;
  readonly instances: (InstanceOutcome & { heldAtPointInTime: boolean })[];
}

export const CLUSTER_TAG = 'ClusterConsistent';

export async function clusterRun(o: ClusterRunOptions): Promise<ClusterReport> {
  const base = agentCommand(o.agentWords);
  const cert = await runCertificate(o.runner);
  const tokens = new Map(o.instances.map((id) => [randomBytes(24).toString('hex'), id]));
  const p = base.params;
  const coordinator = new Coordinator({
    cert: cert.cert,
    key: cert.key,
    tokens,
    prepareTimeoutMs: (p.preScriptPath ? p.scriptTimeoutInSeconds : 0) * 1000 + 120_000,
    freezeTimeoutMs: p.timeoutInSeconds * 1000,
    finalTimeoutMs: p.groupTimeoutInSeconds * 1000 + 120_000,
    name: p.name,
    createGroup: (disks, clientToken, windowMs) =>
      createGroup(o, p.name, disks, clientToken, windowMs),
    log: o.log,
  });
  const port = await coordinator.listen(o.listenHost, o.listenPort);
  o.log(`coordinator on ${o.listenHost}:${port}, advertised as ${o.advertiseHost}:${port}`);
  const command = agentCommand([
    ...o.agentWords,
    `-ClusterCoordinator=${o.advertiseHost}:${port}`,
    `-ClusterFingerprint=${cert.fingerprint}`,
  ]);
  const started = Date.now();
  const invocations = new Map<string, string>();
  for (const [token, id] of tokens) {
    // The token rides in the command's environment: not an argv word anyone can read in ps.
    const content = `APP_SNAPSHOT_CLUSTER_TOKEN=${token} ${command.content}`;
    invocations.set(
      id,
      await o.cloud.runCommand(
        [id],
        content,
        commandTimeoutS(p),
        `app-snapshot-plugin cluster ${p.name}`,
      ),
    );
  }
  const watched = watch(o, coordinator, invocations);
  const result = await coordinator.run();
  const results = await watched;
  return report(o, result, results, started);
}

/** One group over every participant's disks; the ClientToken makes a retried call safe. */
async function createGroup(
  o: ClusterRunOptions,
  name: string,
  disks: string[],
  clientToken: string,
  windowMs: number,
): Promise<string> {
  const r = await o.api.call<{ SnapshotGroupId: string }>(
    'CreateSnapshotGroup',
    {
      RegionId: o.cloud.regionId,
      Name: name,
      ClientToken: clientToken,
      ...Object.fromEntries(disks.map((d, n) => [`DiskId.${n + 1}`, d])),
    },
    { deadline: new Deadline(Math.max(0, windowMs)) },
  );
  return r.SnapshotGroupId;
}

/** Follows every invocation to its end; one that ends before its agent reported aborts all. */
async function watch(
  o: ClusterRunOptions,
  coordinator: Coordinator,
  invocations: ReadonlyMap<string, string>,
): Promise<Map<string, InstanceOutcome>> {
  const done = new Map<string, InstanceOutcome>();
  while (done.size < invocations.size) {
    await new Promise((r) => setTimeout(r, o.pollMs ?? 1000));
    for (const [id, invokeId] of invocations) {
      if (done.has(id)) continue;
      const r = (await o.cloud.results(invokeId)).find((x) => x.InstanceId === id);
      if (!r || !FINAL.has(r.InvocationStatus)) continue;
      const out = outcome(r, Date.now(), 1);
      done.set(id, out);
      o.log(`${id} ${r.InvocationStatus} (exit ${r.ExitCode ?? '-'})`);
      coordinator.participantEnded(id, `its run ended: ${out.firstError || r.InvocationStatus}`);
    }
  }
  return done;
}

/** The verdict, the wait for the group, and the cluster tag where it is true. */
async function report(
  o: ClusterRunOptions,
  c: ClusterOutcome,
  results: Map<string, InstanceOutcome>,
  started: number,
): Promise<ClusterReport> {
  const instances = c.participants.map((p) => ({
    ...results.get(p.instanceId)!,
    heldAtPointInTime: p.heldAtPointInTime,
    durationMs: Date.now() - started,
  }));
  const consistent =
    Boolean(c.groupId) &&
    !c.aborted &&
    instances.every((i) => i.heldAtPointInTime && i.exitCode === 0 && i.consistency !== 'None');
  if (consistent) {
    const snapshots = await groupSnapshots(o, c.groupId);
    for (let i = 0; i < snapshots.length; i += 20)
      await o.api.call('TagResources', {
        RegionId: o.cloud.regionId,
        ResourceType: 'snapshot',
        'Tag.1.Key': CLUSTER_TAG,
        'Tag.1.Value': 'True',
        ...Object.fromEntries(snapshots.slice(i, i + 20).map((s, n) => [`ResourceId.${n + 1}`, s])),
      });
    o.log(`group ${c.groupId}: ${snapshots.length} snapshot(s) tagged ${CLUSTER_TAG}: True`);
  }
  const unclaimedGroupId =
    !c.groupId && c.call ? await unclaimedGroup(o, c.call.sentAt, c.call.clientToken) : '';
  return {
    groupId: c.groupId,
    unclaimedGroupId,
    aborted: c.aborted,
    clusterConsistent: consistent,
    instances,
  };
}

/** How long a group the failed call made may take to be listed (polls every 2 s). */
const LOOK_FOR_MS = 30_000;

/**
 * The group call failed but was sent: the cloud may have made the group. Look for it by the
 * run's name (DescribeSnapshotGroups lists no ClientToken), made since the call, so that the
 * operator is told its id instead of finding an untagged group in the console.
 */
async function unclaimedGroup(
  o: ClusterRunOptions,
  sentAt: number,
  clientToken: string,
): Promise<string> {
  const name = agentCommand(o.agentWords).params.name;
  o.log(
    `the group call failed after it was sent (ClientToken ${clientToken}): looking for a group named ${name}`,
  );
  for (const until = Date.now() + LOOK_FOR_MS; ;) {
    const groups = await allSnapshotGroups<{
      SnapshotGroupId: string;
      Name?: string;
      CreationTime?: string;
    }>(o.api, { RegionId: o.cloud.regionId, Name: name }).catch(() => []);
    const found = groups.find(
      (g) => g.Name === name && Date.parse(g.CreationTime ?? '') >= sentAt - 60_000,
    );
    if (found) {
      o.log(
        `group ${found.SnapshotGroupId} came of the failed call: untagged, crash-consistent at best`,
      );
      return found.SnapshotGroupId;
    }
    if (Date.now() + 2000 > until) return '';
    await new Promise((res) => setTimeout(res, 2000));
  }
}

async function groupSnapshots(o: ClusterRunOptions, groupId: string): Promise<string[]> {
  const r = await o.api.call<{
    SnapshotGroups: { SnapshotGroup: { Snapshots: { Snapshot: { SnapshotId: string }[] } }[] };
  }>('DescribeSnapshotGroups', { RegionId: o.cloud.regionId, 'SnapshotGroupId.1': groupId });
  return (r.SnapshotGroups.SnapshotGroup[0]?.Snapshots.Snapshot ?? []).map((s) => s.SnapshotId);
}
