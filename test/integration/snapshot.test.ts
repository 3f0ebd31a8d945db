// Real runs of the built agent on lab disks: real fsfreeze, real loop devices, real scripts.
import {
  chmodSync,
  chownSync,
  existsSync,
  readFileSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  agentArgv,
  AT_ONCE_MS,
  expectThawedWithin,
  requireRoot,
  runCli,
  TEST_AGENT,
  TestLab,
} from '../support/lab.js';
import { spawn } from 'node:child_process';
import { dies } from '../support/proc.js';
import { vendorStyleScripts } from '../support/scripts.js';

describe.skipIf(!requireRoot())('snapshot runs on a real lab', () => {
  let lab: TestLab;
  let scripts: string;
  beforeAll(async () => {
    lab = await new TestLab().up(2);
    scripts = join(lab.root, 'scripts');
  });
  afterAll(async () => {
    await lab?.down();
  });

  const fresh = (o: Parameters<typeof vendorStyleScripts>[1] = {}) => {
    rmSync(scripts, { recursive: true, force: true });
    return vendorStyleScripts(scripts, o);
  };
  const evidence = (path: string) =>
    existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : [];
  const groupCount = () =>
    existsSync(join(lab.pool, 'groups')) ? readdirSync(join(lab.pool, 'groups')).length : 0;
  const assertThawed = async () => {
    for (const i of [0, 1]) await expectThawedWithin(lab.mount(i), AT_ONCE_MS);
  };

  it('takes an AppConsistent group: both filesystems frozen, every snapshot tagged, log file written', async () => {
    const s = fresh();
    writeFileSync(join(lab.mount(0), 'data.txt'), 'hello');
    const r = await lab.snapshot([
      `-Name=app1`,
      `-PreScriptPath=${s.pre}`,
      `-PostScriptPath=${s.post}`,
    ]);
    expect(r.code).toBe(0);
    expect(r.json.ExitCode).toBe(0);
    expect(r.json.Consistency).toBe('AppConsistent');
    expect(r.json.Frozen.sort()).toEqual([lab.mount(0), lab.mount(1)].sort());
    // The shipped executable freezes by ioctl from its watchdog; node spawns fsfreeze.
    expect(r.json.FreezeWith).toBe(TEST_AGENT ? 'ioctl' : 'fsfreeze');
    // The window's parts, in the order they happened (one monotonic clock across processes).
    const m = r.json.Marks;
    const order = [m.firstFreezeNs, m.lastFreezeNs, m.groupCallNs, m.groupAnsweredNs];
    order.push(m.thawStartNs, m.thawEndNs);
    expect(order.map(BigInt)).toEqual(
      order.map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)),
    );
    expect(r.json.Snapshots).toHaveLength(2);
    for (const snap of r.json.Snapshots) expect(snap.Tags).toEqual({ AppConsistent: 'True' });
    expect(evidence(s.evidence)).toEqual(['pre', 'post']);
    expect(r.stderr).toMatch(/\[output="\n\[INFO\]:Begin to freeze app\.\n"\]/);
    expect(r.stderr.trim().split('\n').at(-1)).toMatch(
      new RegExp(
        `\\[snapshotgroup="${r.json.SnapshotGroupId}"\\] \\[message="Finish whole Processes of Snapshot successfully"\\]$`,
      ),
    );
    const logs = readdirSync(lab.logDir);
    expect(logs.length).toBeGreaterThan(0);
    expect(readFileSync(join(lab.logDir, logs.at(-1)!), 'utf8')).toContain(r.json.SnapshotGroupId);
    const listed = await runCli([
      'groups',
      'show',
      r.json.SnapshotGroupId,
      '--pool',
      lab.pool,
      '--json',
    ]);
    expect(
      JSON.parse(listed.stdout).snapshots.every((x: any) => x.tags.AppConsistent === 'True'),
    ).toBe(true);
    await assertThawed();
  });

  it.each([
    ['a missing script', (s: ReturnType<typeof fresh>) => rmSync(s.pre), /does not exist/],
    [
      'a script with mode 0755',
      (s: ReturnType<typeof fresh>) => chmodSync(s.pre, 0o755),
      /mode is 0755, not 0700/,
    ],
    [
      'a script not owned by root',
      (s: ReturnType<typeof fresh>) => chownSync(s.pre, 1000, 1000),
      /owned by uid 1000, not root/,
    ],
    [
      'a symlink',
      (s: ReturnType<typeof fresh>) => {
        const real = `${s.pre}.real`;
        writeFileSync(real, 'true\n', { mode: 0o700 });
        rmSync(s.pre);
        symlinkSync(real, s.pre);
      },
      /symbolic link/,
    ],
  ])('falls back to FsConsistent with %s, says why, runs no script', async (_, spoil, why) => {
    const s = fresh();
    spoil(s);
    const r = await lab.snapshot([
      `-Name=fs1`,
      `-PreScriptPath=${s.pre}`,
      `-PostScriptPath=${s.post}`,
    ]);
    expect(r.json.ExitCode).toBe(0);
    expect(r.json.Consistency).toBe('FsConsistent');
    for (const snap of r.json.Snapshots) expect(snap.Tags).toEqual({ FsConsistent: 'True' });
    expect(r.json.Warnings.join('\n')).toMatch(why);
    expect(evidence(s.evidence)).toEqual([]);
  });

  it('pre-script failure: exit 9, post-script still ran, no group, nothing frozen', async () => {
    const s = fresh({ preExit: 3 });
    const before = groupCount();
    const r = await lab.snapshot([
      `-Name=fail9`,
      `-PreScriptPath=${s.pre}`,
      `-PostScriptPath=${s.post}`,
    ]);
    expect(r.code).toBe(9);
    expect(r.json.Error).toMatch(/exited with 3/);
    expect(evidence(s.evidence)).toEqual(['pre', 'post']);
    expect(groupCount()).toBe(before);
    expect(r.json.Frozen).toEqual([]);
  });

  it('post-script failure: exit 10, the group exists, tagged FsConsistent only', async () => {
    const s = fresh({ postExit: 5 });
    const r = await lab.snapshot([
      `-Name=fail10`,
      `-PreScriptPath=${s.pre}`,
      `-PostScriptPath=${s.post}`,
    ]);
    expect(r.code).toBe(10);
    expect(r.json.SnapshotGroupId).toMatch(/^ssg-/);
    expect(r.json.Snapshots[0].Tags).toEqual({ FsConsistent: 'True' });
    await assertThawed();
  });

  it('script timeout kills the whole process group: exit 9, post-script ran', async () => {
    const pidFile = join(lab.root, 'bg.pid');
    const s = fresh({ preBody: `sleep 300 & echo $! > ${pidFile}\nsleep 300` });
    const r = await lab.snapshot([
      `-Name=timeout1`,
      `-PreScriptPath=${s.pre}`,
      `-PostScriptPath=${s.post}`,
      '-ScriptTimeoutInSeconds=1',
    ]);
    expect(r.code).toBe(9);
    expect(r.json.Error).toMatch(/timed out after 1s/);
    expect(r.json.Scripts[0]).toMatchObject({ Role: 'pre', TimedOut: true });
    const bg = Number(readFileSync(pidFile, 'utf8'));
    expect(await dies(bg)).toBe(true);
    expect(evidence(s.evidence)).toEqual(['pre', 'post']);
  });

  it('SIGTERM during a long pre-script stops it; the post-script runs; nothing is frozen or created', async () => {
    const s = fresh({ preBody: 'sleep 300' });
    const before = groupCount();
    const [agent, ...pre] = agentArgv();
    const child = spawn(
      agent!,
      [
        ...pre,
        `-Pool=${lab.pool}`,
        '-Engine=local',
        '-Name=sigterm',
        `-PreScriptPath=${s.pre}`,
        `-PostScriptPath=${s.post}`,
        '--output',
        'json',
      ],
      {
        env: { ...process.env, ...lab.env },
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    );
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    while (!evidence(s.evidence).includes('pre')) await new Promise((r) => setTimeout(r, 20));
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(9);
    const r = JSON.parse(out);
    expect(r.Error).toMatch(/was stopped: the agent was interrupted/);
    expect(evidence(s.evidence)).toEqual(['pre', 'post']);
    expect(groupCount()).toBe(before);
  });

  it('excluding every disk: exit 3; an unknown disk: exit 1', async () => {
    const ids = lab.state.disks.map((d) => d.id);
    expect((await lab.snapshot(['-Name=none', `-ExcludeDiskId=${ids.join(',')}`])).code).toBe(3);
    // The plugin manager turns the comma into a word break: the same run, as it arrives.
    expect((await lab.snapshot(['-Name=none', `-ExcludeDiskId=${ids[0]}`, ids[1]!])).code).toBe(3);
    expect((await lab.snapshot(['-Name=none', '-ExcludeDiskId=d-nosuchdisk'])).code).toBe(1);
  });

  it('excluding one disk snapshots and freezes only the other', async () => {
    const r = await lab.snapshot(['-Name=one', `-ExcludeDiskId=${lab.state.disks[0]!.id}`]);
    expect(r.json.ExitCode).toBe(0);
    expect(r.json.Snapshots.map((x: any) => x.DiskId)).toEqual([lab.state.disks[1]!.id]);
    expect(r.json.Frozen).toEqual([lab.mount(1)]);
  });

  it('APP_SNAPSHOT_FREEZE_WITH=fsfreeze: util-linux fsfreeze freezes, whatever the runtime', async () => {
    const r = await lab.snapshot(['-Name=tool'], { env: { APP_SNAPSHOT_FREEZE_WITH: 'fsfreeze' } });
    expect(r.json.ExitCode).toBe(0);
    expect(r.json.FreezeWith).toBe('fsfreeze');
    expect(r.json.Frozen.sort()).toEqual([lab.mount(0), lab.mount(1)].sort());
    await assertThawed();
  });

  it('bad parameters: exit 2, nothing run', async () => {
    const r = await runCli(['-Name=x', '-TimeoutInSeconds=lots'], { env: lab.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/-TimeoutInSeconds must be an integer/);
  });

  it('EnableFsFreeze=false freezes nothing and tags nothing without scripts', async () => {
    const r = await lab.snapshot(['-Name=nofreeze', '-EnableFsFreeze=false']);
    expect(r.json.ExitCode).toBe(0);
    expect(r.json.Frozen).toEqual([]);
    expect(r.json.Consistency).toBe('None');
  });

  it('the documented --params string works, and --output invocation decodes to the vendor log', async () => {
    const s = fresh();
    const params = `-RamRoleName="AppSnapshotRoleName",-InstantAccess=true,-EnableFsFreeze=true,-TimeoutInSeconds=30,-PreScriptPath="${s.pre}",-PostScriptPath="${s.post}",-InstantAccessRetentionDays=1,-ExcludeDiskId="",-Name="LinuxApp1",-Engine=local,-Pool=${lab.pool}`;
    const r = await runCli([`--params=${params}`, '--output', 'invocation'], { env: lab.env });
    expect(r.code).toBe(0);
    const inv = JSON.parse(r.stdout);
    expect(inv.ExitCode).toBe(0);
    expect(inv.Dropped).toBe(0);
    const decoded = await runCli(['decode', inv.Output]);
    expect(decoded.stdout).toMatch(/Take AppConsistent snapshots successfully/);
    expect(decoded.stdout.trim().split('\n').at(-1)).toMatch(
      /\[snapshotgroup="ssg-[0-9a-z]{20}"\] \[message="Finish whole Processes/,
    );
  });

  it('check says what would happen and changes nothing', async () => {
    const s = fresh();
    const before = groupCount();
    const r = await runCli(
      [
        'check',
        `-Pool=${lab.pool}`,
        '-Name=c1',
        `-PreScriptPath=${s.pre}`,
        `-PostScriptPath=${s.post}`,
        '--json',
      ],
      { env: lab.env },
    );
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.Consistency).toBe('AppConsistent');
    expect(plan.Freeze.map((f: any) => f.MountPoint).sort()).toEqual(
      [lab.mount(0), lab.mount(1)].sort(),
    );
    expect(groupCount()).toBe(before);
    expect(evidence(s.evidence)).toEqual([]);
  });
});

describe.skipIf(!requireRoot())('other filesystems', () => {
  it('freezes btrfs (anonymous device number, resolved through its source) and ext3', async () => {
    const lab = await new TestLab().up(2, 'btrfs,ext3');
    try {
      const r = await lab.snapshot(['-Name=btrfs1']);
      expect(r.json.ExitCode).toBe(0);
      expect(r.json.Frozen.sort()).toEqual([lab.mount(0), lab.mount(1)].sort());
      expect(r.json.Snapshots.map((s: any) => s.Tags)).toEqual([
        { FsConsistent: 'True' },
        { FsConsistent: 'True' },
      ]);
    } finally {
      await lab.down();
    }
  });
});
