// `fleet run` end to end: a region of emulated instances (tools/emulator/region.ts), each with
// its own lab disks, metadata service and state; Cloud Assistant runs the real agent through
// the acs-plugin-manager stand-in. Every row of the fleet's summary is checked against what
// really happened on that instance.
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Region } from '../../tools/emulator/region.js';
import { agentArgv, requireRoot, TestLab } from '../support/lab.js';
import { TestMariadb } from '../support/mariadb.js';
import { listGroups } from '../support/vm.js';
import {
  operatorCli,
  type OperatorOptions,
  type OperatorRun,
  STAND_IN,
} from '../support/operator.js';

describe.skipIf(!requireRoot())('fleet run through emulated Cloud Assistant', () => {
  const labs: TestLab[] = [];
  let region: Region;
  let dir: string;
  let operator: { accessKeyId: string; accessKeySecret: string };
  const outputs: string[] = [];

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) labs.push(await new TestLab().up(1, 'ext4'));
    labs.push(await new TestLab().up(2, 'ext4,xfs')); // the database instance's
    dir = mkdtempSync('/tmp/asp-fleet-');
    // One pre-script path for the whole fleet, as the operator gives it; it refuses where the
    // instance's environment says so (instance B).
    writeFileSync(join(dir, 'slow.sh'), '#!/bin/sh\nsleep "${1:-30}"\n', { mode: 0o700 });
    writeFileSync(join(dir, 'sleep12.sh'), '#!/bin/sh\nsleep 12\n', { mode: 0o700 });
    writeFileSync(
      join(dir, 'pre.sh'),
      '#!/bin/sh\nif [ -n "$ASP_TEST_REFUSE" ]; then echo "pre-script refuses on this instance" >&2; exit 3; fi\n',
      { mode: 0o700 },
    );
    const inst = (lab: TestLab, extra: object = {}) => ({
      pool: lab.pool,
      byIdDir: join(lab.root, 'by-id'),
      stateDir: lab.stateDir,
      logDir: lab.logDir,
      tags: { fleet: 'test' },
      ...extra,
    });
    region = new Region({
      agent: agentArgv(),
      pluginManager: STAND_IN,
      instances: [
        inst(labs[0]!, { name: 'a-plain' }),
        inst(labs[1]!, { name: 'b-refuses', env: { ASP_TEST_REFUSE: '1' } }),
        inst(labs[2]!, { name: 'c-busy-once', busyOnce: true }),
        inst(labs[0]!, { name: 'd-offline', assistant: false, byIdDir: join(dir, 'd-by-id') }),
        inst(labs[0]!, { name: 'e-untagged', tags: {}, byIdDir: join(dir, 'e-by-id') }),
        inst(labs[3]!, {
          name: 'f-db',
          tags: { role: 'db' },
          env: { APP_SNAPSHOT_APPS_CONFIG: join(dir, 'apps.json') },
        }),
      ],
    });
    await region.start();
    operator = region.sts.issueAccessKey();
  });
  afterAll(async () => {
    await region?.stop();
    for (const l of labs) await l.down();
    rmSync(dir, { recursive: true, force: true });
  });

  function fleet(
    args: string[],
    credentials?: NodeJS.ProcessEnv,
    onErr?: OperatorOptions['onErr'],
  ): Promise<OperatorRun> {
    return operatorCli(region, operator, ['fleet', 'run', ...args], {
      home: dir,
      ...(credentials ? { credentials } : {}),
      ...(onErr ? { onErr } : {}),
    }).then((r) => {
      outputs.push(r.stdout, r.stderr);
      return r;
    });
  }
  const id = (name: string) => region.instances.find((i) => i.o.name === name)!.id;
  const groupJson = (lab: TestLab, groupId: string) =>
    JSON.parse(readFileSync(join(lab.pool, 'groups', groupId, 'group.json'), 'utf8'));

  it('a tagged fleet: each row is what happened there; 16 retried; offline and refusing named; exit 20', async () => {
    const logs = join(dir, 'logs');
    const description = `nightly, "all" of 'em`;
    const r = await fleet([
      '-InstanceTag=fleet=test',
      '-Region=cn-hangzhou',
      '-Name=fleet1',
      `-Description=${description}`,
      '-RamRoleName=AppSnapshotRoleName',
      '-Engine=ecs',
      `-PreScriptPath=${join(dir, 'pre.sh')}`,
      '--logs',
      logs,
      '--output',
      'json',
    ]);
    expect(r.code).toBe(20);
    const rows = Object.fromEntries(
      JSON.parse(r.stdout).Instances.map((x: { InstanceId: string }) => [x.InstanceId, x]),
    );
    // DescribeInstances by tag: the untagged instance (and the database one) are not in it.
    expect(Object.keys(rows).sort()).toEqual(
      ['a-plain', 'b-refuses', 'c-busy-once', 'd-offline'].map(id).sort(),
    );
    const a = rows[id('a-plain')];
    expect(a).toMatchObject({
      ExitCode: 0,
      ExitName: 'Success',
      Consistency: 'AppConsistent',
      Attempts: 1,
    });
    const g = groupJson(labs[0]!, a.SnapshotGroupId);
    expect(g.name).toBe('fleet1');
    expect(g.description).toBe(description); // a comma and both quotes arrived intact
    expect(g.snapshots.map((s: { tags: object }) => s.tags)).toEqual([{ AppConsistent: 'True' }]);
    const b = rows[id('b-refuses')];
    expect(b).toMatchObject({ ExitCode: 9, ExitName: 'PreScriptFailed', SnapshotGroupId: '' });
    expect(b.Error).toMatch(/exit code 9/);
    const bGroups = join(labs[1]!.pool, 'groups');
    expect(existsSync(bGroups) ? readdirSync(bGroups) : []).toEqual([]);
    const c = rows[id('c-busy-once')];
    expect(c).toMatchObject({ ExitCode: 0, Attempts: 2, Consistency: 'AppConsistent' });
    const cRuns = region.invocations.filter((x) => x.instanceId === id('c-busy-once'));
    expect(cRuns.map((x) => x.exitCode)).toEqual([16, 0]);
    expect(groupJson(labs[2]!, c.SnapshotGroupId).snapshots).toHaveLength(1);
    expect(rows[id('d-offline')]).toMatchObject({
      ExitCode: null,
      InvocationStatus: 'Error',
      ErrorCode: 'ClientNotRunning',
    });
    // Progress: a line per state change; the retry said so.
    expect(r.stderr).toMatch(new RegExp(`${id('a-plain')} Running`));
    expect(r.stderr).toMatch(new RegExp(`${id('c-busy-once')} exit 16: retrying`));
    // Each instance's full decoded log, root only.
    const aLog = join(logs, `${id('a-plain')}.log`);
    expect(readFileSync(aLog, 'utf8')).toMatch(/Finish whole Processes of Snapshot successfully/);
    expect(statSync(aLog).mode & 0o777).toBe(0o600);
    // Every instance ran its command with a Timeout derived from the budgets.
    const run = region.requests.find((q) => q.action === 'RunCommand')!;
    expect(Number(run.params.Timeout)).toBe(1800 + 30 + 600 + 120);
  });

  it('every instance succeeds: a table and exit 0', async () => {
    const r = await fleet([
      `-Instances=${id('a-plain')},${id('c-busy-once')}`,
      '-Region=cn-hangzhou',
      '-Name=fleet2',
      '-RamRoleName=AppSnapshotRoleName',
      '-Engine=ecs',
    ]);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^instance\s+exit\s+consistency\s+group\s+duration\s+error$/);
    for (const name of ['a-plain', 'c-busy-once']) {
      expect(lines.find((l) => l.startsWith(id(name)))).toMatch(/ 0 Success +FsConsistent +ssg-/);
    }
  });

  it("a -Name of 128 characters: RunCommand's Name is cut to its 128, the group keeps the whole name", async () => {
    const name = `n${'x'.repeat(127)}`;
    const before = region.requests.length;
    const r = await fleet([
      `-Instances=${id('a-plain')}`,
      '-Region=cn-hangzhou',
      `-Name=${name}`,
      '-RamRoleName=AppSnapshotRoleName',
      '-Engine=ecs',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const calls = region.requests.slice(before);
    const run = calls.find((q) => q.action === 'RunCommand')!;
    expect(run.code).toBe('OK');
    expect([...run.params.Name!].length).toBe(128);
    expect(run.params.Name).toMatch(/^app-snapshot-plugin nx+\.\.\.$/);
    const create = calls.find((q) => q.action === 'CreateSnapshotGroup')!;
    expect(create.params.Name).toBe(name);
  });

  it('refuses bad agent parameters before anything runs (exit 2)', async () => {
    const before = region.requests.length;
    const r = await fleet([`-Instances=${id('a-plain')}`, '-Name=x', '-TimeoutInSeconds=abc']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TimeoutInSeconds must be an integer/);
    expect(region.requests.length).toBe(before);
  });

  it('credentials of every kind: an STS token in the environment, an aliyun CLI profile', async () => {
    const sts = region.sts.issue();
    const a = id('a-plain');
    const viaToken = await fleet(
      [
        '-Instances=' + a,
        '-Region=cn-hangzhou',
        '-Name=sts1',
        '-Engine=ecs',
        '-RamRoleName=AppSnapshotRoleName',
      ],
      {
        ALIBABA_CLOUD_ACCESS_KEY_ID: sts.AccessKeyId,
        ALIBABA_CLOUD_ACCESS_KEY_SECRET: sts.AccessKeySecret,
        ALIBABA_CLOUD_SECURITY_TOKEN: sts.SecurityToken,
      },
    );
    expect(viaToken.stderr).toMatch(/credentials: environment STS token/);
    expect(viaToken.code).toBe(0);
    const profileSts = region.sts.issue();
    mkdirSync(join(dir, '.aliyun'), { recursive: true });
    writeFileSync(
      join(dir, '.aliyun', 'config.json'),
      JSON.stringify({
        current: 'ops',
        profiles: [
          {
            name: 'ops',
            mode: 'StsToken',
            access_key_id: profileSts.AccessKeyId,
            access_key_secret: profileSts.AccessKeySecret,
            sts_token: profileSts.SecurityToken,
            region_id: 'cn-hangzhou',
          },
        ],
      }),
      { mode: 0o600 },
    );
    try {
      // No -Region: the profile's region.
      const viaProfile = await fleet(
        ['-Instances=' + a, '-Name=profile1', '-Engine=ecs', '-RamRoleName=AppSnapshotRoleName'],
        {},
      );
      expect(viaProfile.stderr).toMatch(
        /credentials: profile ops \(.*config\.json\); region cn-hangzhou/,
      );
      expect(viaProfile.code).toBe(0);
    } finally {
      rmSync(join(dir, '.aliyun'), { recursive: true, force: true });
    }
  });

  it('throttled Cloud Assistant calls are retried with backoff', async () => {
    region.throttleAssistant = 3;
    const r = await fleet([
      `-Instances=${id('a-plain')}`,
      '-Region=cn-hangzhou',
      '-Name=throttled',
      '-Engine=ecs',
      '-RamRoleName=AppSnapshotRoleName',
    ]);
    expect(r.code).toBe(0);
    expect(region.throttleAssistant).toBe(0);
    expect(region.requests.filter((q) => q.code === 'Throttling.User')).toHaveLength(3);
  });

  it('a command that outlives its Timeout: the row says Timeout, exit unknown', async () => {
    const r = await fleet([
      `-Instances=${id('a-plain')}`,
      '-Region=cn-hangzhou',
      '-Name=slow1',
      '-Engine=ecs',
      '-RamRoleName=AppSnapshotRoleName',
      `-PreScriptPath=${join(dir, 'sleep12.sh')}`,
      '--timeout',
      '10',
      '--output',
      'json',
    ]);
    expect(r.code).toBe(20);
    expect(r.stderr).toMatch(/warning: --timeout 10s is below the agent's own budgets/);
    expect(JSON.parse(r.stdout).Instances[0]).toMatchObject({
      ExitCode: null,
      InvocationStatus: 'Timeout',
      ErrorCode: 'ExecutionTimeout',
    });
    // Cloud Assistant killed the shell only (as the real one does): the agent finishes alone.
    await untilUnlocked(labs[0]!);
  });

  it('a command that times out with its group call in flight: the row names the group the call made (issue 27)', async () => {
    const inst = region.instances.find((i) => i.o.name === 'a-plain')!;
    inst.emulator.faults = { 'slow-answer': 14_000 }; // made on arrival, answered after the Timeout
    try {
      const r = await fleet([
        `-Instances=${inst.id}`,
        '-Region=cn-hangzhou',
        '-Name=inflight1',
        '-Engine=ecs',
        '-RamRoleName=AppSnapshotRoleName',
        '--timeout',
        '10',
        '--output',
        'json',
      ]);
      expect(r.code).toBe(20);
      const row = JSON.parse(r.stdout).Instances[0];
      expect(row).toMatchObject({ ExitCode: null, InvocationStatus: 'Timeout' });
      const made = listGroups(labs[0]!.pool).filter((g) => g.name === 'inflight1');
      expect(made).toHaveLength(1);
      // Named by the agent's own report when its output reached the row (it looked the group
      // up itself), else by fleet run's lookup (unit test): either way, never a guess.
      expect(row.SnapshotGroupId).toBe(made[0]!.id);
      expect(row.Error).toContain(made[0]!.id);
      for (const sn of made[0]!.snapshots) expect(sn.tags).toEqual({});
    } finally {
      inst.emulator.faults = {};
      await untilUnlocked(labs[0]!); // the agent goes on alone after the shell is killed
    }
  });

  it('Ctrl-C (pressed twice): StopInvocation for the running instance; its agent stops; exit 22', async () => {
    let pressed = false;
    const r = await fleet(
      [
        `-Instances=${id('a-plain')}`,
        '-Region=cn-hangzhou',
        '-Name=int1',
        '-Engine=ecs',
        '-RamRoleName=AppSnapshotRoleName',
        `-PreScriptPath=${join(dir, 'slow.sh')}`,
        '--output',
        'json',
      ],
      undefined,
      (text, child) => {
        // An impatient operator: Ctrl-C, and again 100 ms later. The second must not kill the
        // command before it has stopped the invocations and printed its table.
        if (pressed || !text.includes(' Running')) return;
        pressed = true;
        setTimeout(() => child.kill('SIGINT'), 500);
        setTimeout(() => child.kill('SIGINT'), 600);
      },
    );
    expect(r.code).toBe(22);
    expect(r.stderr).toMatch(/interrupted: StopInvocation for i-/);
    expect(region.requests.some((q) => q.action === 'StopInvocation')).toBe(true);
    expect(JSON.parse(r.stdout).Instances[0]).toMatchObject({ InvocationStatus: 'Terminated' });
    await untilUnlocked(labs[0]!);
    expect(
      readdirSync(join(labs[0]!.pool, 'groups')).filter(
        (g) => groupJson(labs[0]!, g).name === 'int1',
      ),
    ).toEqual([]);
  });

  it('the database instance: the MariaDB quiescer held on it, AppConsistent with its facts', async () => {
    const db = new TestMariadb({
      datadir: join(labs[3]!.mount(0), 'mysql'),
      binlogDir: join(labs[3]!.mount(1), 'binlog'),
      runDir: join(labs[3]!.root, 'run'),
      name: 'fleetdb',
    });
    db.init();
    await db.start();
    try {
      writeFileSync(
        join(dir, 'apps.json'),
        JSON.stringify({ apps: { db: { type: 'mysql', socketPath: db.socket, user: 'root' } } }),
        { mode: 0o600 },
      );
      const r = await fleet([
        '-InstanceTag=role=db',
        '-Region=cn-hangzhou',
        '-Name=dbfleet',
        '-Engine=ecs',
        '-RamRoleName=AppSnapshotRoleName',
        '-Apps=db',
        '--output',
        'json',
      ]);
      expect(r.code).toBe(0);
      const row = JSON.parse(r.stdout).Instances[0];
      expect(row).toMatchObject({
        InstanceId: id('f-db'),
        ExitCode: 0,
        Consistency: 'AppConsistent',
      });
      const g = groupJson(labs[3]!, row.SnapshotGroupId);
      expect(g.snapshots).toHaveLength(2);
      for (const sn of g.snapshots)
        expect(sn.tags).toMatchObject({ AppConsistent: 'True', 'db.LockTime': expect.any(String) });
    } finally {
      await db.stop();
    }
  });

  it('no secret of any kind in any output or log', () => {
    // The operator's AccessKey secret, the STS tokens given in the environment and the
    // profile, and every role credential the instances' agents fetched.
    const secrets = [operator.accessKeySecret, ...region.sts.secrets()];
    expect(secrets.length).toBeGreaterThan(6);
    const logs = [
      ...labs.flatMap((l) =>
        readdirSync(l.logDir).map((f) => readFileSync(join(l.logDir, f), 'utf8')),
      ),
      ...readdirSync(join(dir, 'logs')).map((f) => readFileSync(join(dir, 'logs', f), 'utf8')),
      ...region.invocations.map((x) => x.output.toString()),
    ];
    const all = [...outputs, ...logs].join('\n');
    for (const s of secrets) expect(all).not.toContain(s);
  });
});

/** Resolves once no agent holds the lab's state lock (a run left alone finished). */
async function untilUnlocked(lab: TestLab): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (!existsSync(join(lab.stateDir, 'lock'))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('the agent never finished');
}
