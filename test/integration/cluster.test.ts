// `cluster run` end to end: the coordinator in its own process, two emulated instances whose
// agents (participant mode, real freezes of their own lab disks) join it over TLS through
// emulated Cloud Assistant, one group over all their disks created by the coordinator.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Region } from '../../tools/emulator/region.js';
import { agentArgv, AT_ONCE_MS, expectThawedWithin, requireRoot, TestLab } from '../support/lab.js';
import { operatorCli, type OperatorOptions, STAND_IN } from '../support/operator.js';
import { listGroups } from '../support/vm.js';

describe.skipIf(!requireRoot())('cluster run across emulated instances', () => {
  const labs: TestLab[] = [];
  let region: Region;
  let dir: string;
  let operator: { accessKeyId: string; accessKeySecret: string };

  beforeAll(async () => {
    labs.push(await new TestLab().up(2), await new TestLab().up(2));
    dir = mkdtempSync('/tmp/asp-cluster-');
    writeFileSync(
      join(dir, 'pre.sh'),
      '#!/bin/sh\nif [ -n "$ASP_TEST_REFUSE" ]; then echo "not today" >&2; exit 3; fi\nsleep "${ASP_TEST_SLEEP:-0}"\n',
      { mode: 0o700 },
    );
    region = new Region({
      agent: agentArgv(),
      pluginManager: STAND_IN,
      progressMs: 200,
      instances: labs.map((lab, i) => ({
        pool: lab.pool,
        byIdDir: join(lab.root, 'by-id'),
        stateDir: lab.stateDir,
        logDir: lab.logDir,
        name: `node-${i}`,
      })),
    });
    await region.start();
    operator = region.sts.issueAccessKey();
  });
  afterAll(async () => {
    await region?.stop();
    for (const l of labs) await l.down();
    rmSync(dir, { recursive: true, force: true });
  });

  const cluster = (args: string[], onErr?: OperatorOptions['onErr']) =>
    operatorCli(region, operator, ['cluster', 'run', ...args], {
      home: dir,
      ...(onErr ? { onErr } : {}),
    });
  const ids = () => region.instances.map((i) => i.id);
  const common = (name: string) => [
    `-Instances=${ids().join(',')}`,
    '-Region=cn-hangzhou',
    '--advertise',
    '127.0.0.1',
    '--listen',
    '127.0.0.1:0',
    `-Name=${name}`,
    '-Engine=ecs',
    '-RamRoleName=AppSnapshotRoleName',
    `-PreScriptPath=${join(dir, 'pre.sh')}`,
    '--output',
    'json',
  ];

  it('one group over both instances, created while both held their freeze; tagged ClusterConsistent', async () => {
    const r = await cluster(common('cluster1'));
    expect(r.stderr).not.toMatch(/abort/);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.ClusterConsistent).toBe(true);
    expect(
      j.Instances.map(
        (i: { ExitCode: number; HeldAtPointInTime: boolean; Consistency: string }) => [
          i.ExitCode,
          i.HeldAtPointInTime,
          i.Consistency,
        ],
      ),
    ).toEqual([
      [0, true, 'AppConsistent'],
      [0, true, 'AppConsistent'],
    ]);
    // In each instance's pool: the part of the one group, with that instance's two disks,
    // tagged by its own agent (AppConsistent) and by the coordinator (ClusterConsistent).
    for (const lab of labs) {
      const parts = readdirSync(join(lab.pool, 'groups'));
      expect(parts).toHaveLength(1);
      const g = JSON.parse(readFileSync(join(lab.pool, 'groups', parts[0]!, 'group.json'), 'utf8'));
      expect(g.snapshots.map((s: { diskId: string }) => s.diskId).sort()).toEqual(
        lab.state.disks.map((d) => d.id).sort(),
      );
      for (const s of g.snapshots)
        expect(s.tags).toEqual({ AppConsistent: 'True', ClusterConsistent: 'True' });
    }
    const create = region.requests.filter((q) => q.action === 'CreateSnapshotGroup');
    expect(create).toHaveLength(1);
    expect(create[0]!.params.InstanceId).toBeUndefined();
    expect(Object.keys(create[0]!.params).filter((k) => k.startsWith('DiskId.'))).toHaveLength(4);
    // The token travelled in the command's environment, never as an agent argument.
    const runs = region.invocations.slice(-2);
    for (const x of runs) expect(x.output.toString()).not.toMatch(/APP_SNAPSHOT_CLUSTER_TOKEN/);
  });

  it("one instance's pre-script fails: the other is aborted before freezing; no group; exit 20", async () => {
    const before = region.requests.filter((q) => q.action === 'CreateSnapshotGroup').length;
    // The refusal comes from instance 1's environment (as its own config would).
    (region.instances[1]!.o as { env?: Record<string, string> }).env = { ASP_TEST_REFUSE: '1' };
    try {
      const r = await cluster(common('cluster2'));
      expect(r.code).toBe(20);
      const j = JSON.parse(r.stdout);
      expect(j.ClusterConsistent).toBe(false);
      expect(j.Aborted).toMatch(new RegExp(region.instances[1]!.id));
      expect(j.Instances[1].ExitCode).toBe(9);
      expect(j.Instances[0].ExitCode).toBe(4);
      expect(j.Instances[0].Error).toMatch(/cluster coordinator aborted/);
      expect(region.requests.filter((q) => q.action === 'CreateSnapshotGroup')).toHaveLength(
        before,
      );
      // Nothing of this run in either pool, nothing frozen.
      for (const lab of labs) {
        const groups = existsSync(join(lab.pool, 'groups'))
          ? readdirSync(join(lab.pool, 'groups'))
          : [];
        for (const g of groups)
          expect(
            JSON.parse(readFileSync(join(lab.pool, 'groups', g, 'group.json'), 'utf8')).name,
          ).not.toBe('cluster2');
      }
    } finally {
      (region.instances[1]!.o as { env?: Record<string, string> }).env = undefined;
    }
  });

  /** The agents' runs of the last cluster command, once both have ended. */
  async function finishedRuns() {
    for (let i = 0; i < 300; i++) {
      const runs = region.invocations.slice(-2);
      if (runs.every((x) => x.status !== 'Running' && x.status !== 'Stopping')) return runs;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('the agents never ended');
  }
  const thawed = async () => {
    for (const lab of labs)
      for (let d = 0; d < 2; d++) await expectThawedWithin(lab.mount(d), AT_ONCE_MS);
  };

  it('the coordinator killed while every instance is frozen: each agent thaws at once and says why', async () => {
    for (const i of region.instances) i.emulator.faults = { 'slow-create': 3000 }; // the group call hangs
    try {
      // Killed once its group call is out: the instances were told its ClientToken first.
      const r = await cluster(common('coord-killed'), (err, child) => {
        if (/all frozen: CreateSnapshotGroup .*ClientToken=/.test(err)) child.kill('SIGKILL');
      });
      expect(r.code).toBeNull(); // killed
      const token = /ClientToken=([0-9a-f-]{36})/.exec(r.stderr)![1]!;
      const runs = await finishedRuns();
      await thawed();
      for (const x of runs) {
        expect(x.exitCode).toBe(4);
        expect(x.output.toString()).toMatch(/lost the cluster coordinator/);
        // What the cloud may have made is named, so the operator can find it.
        expect(x.output.toString()).toContain(`ClientToken=${token}: a group may exist`);
      }
    } finally {
      for (const i of region.instances) i.emulator.faults = {};
      await new Promise((r) => setTimeout(r, 3500)); // the emulator's pending group call ends
    }
  });

  it('a group call left without an answer: cluster run looks the group up and names it (untagged), not cluster-consistent', async () => {
    for (const i of region.instances) i.emulator.faults = { 'cut-create': true };
    try {
      const r = await cluster([...common('cut-cluster'), '-TimeoutInSeconds=6']);
      const j = JSON.parse(r.stdout);
      expect(j.ClusterConsistent).toBe(false);
      expect(j.SnapshotGroupId).toBe('');
      // Aborted by whatever came first: the failed call, or an instance's own deadline meanwhile.
      expect(j.Aborted).not.toBe('');
      expect(j.UnclaimedGroupId, r.stderr).toMatch(/^ssg-/);
      expect(r.stderr).toContain(`group ${j.UnclaimedGroupId} came of the failed call`);
      await finishedRuns();
      await thawed();
      for (const lab of labs)
        for (const g of listGroups(lab.pool).filter((x) => x.name === 'cut-cluster'))
          for (const sn of g.snapshots) expect(sn.tags).toEqual({});
    } finally {
      for (const i of region.instances) i.emulator.faults = {};
    }
  });

  it('one participant killed before it is prepared: the other is aborted unfrozen; no group', async () => {
    const before = region.requests.filter((q) => q.action === 'CreateSnapshotGroup').length;
    (region.instances[1]!.o as { env?: Record<string, string> }).env = { ASP_TEST_SLEEP: '30' };
    let killed = false;
    try {
      const r = await cluster(common('one-killed'), (err) => {
        // Instance 0 prepared (waiting for the other): kill instance 1's whole run.
        if (!killed && / prepared\n/.test(err)) {
          const run = region.invocations
            .filter((x) => x.instanceId === region.instances[1]!.id)
            .at(-1);
          if (run?.child?.pid) {
            killed = true;
            process.kill(-run.child.pid, 'SIGKILL');
          }
        }
      });
      expect(killed).toBe(true);
      expect(r.code).toBe(20);
      const j = JSON.parse(r.stdout);
      expect(j.Aborted).toMatch(new RegExp(region.instances[1]!.id));
      expect(j.Instances[0]).toMatchObject({ ExitCode: 4, HeldAtPointInTime: false });
      expect(j.Instances[0].Error).toMatch(/cluster coordinator aborted/);
      await thawed();
      expect(region.requests.filter((q) => q.action === 'CreateSnapshotGroup')).toHaveLength(
        before,
      );
    } finally {
      (region.instances[1]!.o as { env?: Record<string, string> }).env = undefined;
    }
  });
});
