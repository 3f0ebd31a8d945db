// Issue 27: a group call cut at the deadline (or otherwise left without an answer) must not
// lose its group. Against the emulator (which, as the service does, makes the group whatever
// happens to the answer) and the local engine side by side: the exit code says what really
// failed, the run names every group that exists because of it, nothing is tagged.
import { spawn } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../tools/emulator/faults.js';
import { Emulator } from '../../tools/emulator/server.js';
import { startHeld } from '../support/held-run.js';
import {
  agentArgv,
  AT_ONCE_MS,
  expectThawedWithin,
  requireRoot,
  runCli,
  TestLab,
  withJson,
} from '../support/lab.js';
import { agentEnvFor, cloudLabForThisFile } from '../support/emulator.js';
import { listGroups } from '../support/vm.js';

describe.skipIf(!requireRoot())('a group call whose answer never came', () => {
  let lab: TestLab;
  let emulator: Emulator;
  const cloudLab = cloudLabForThisFile();
  beforeAll(() => ({ lab, emulator } = cloudLab));

  const ecsArgs = (name: string, ...words: string[]) => [
    '-Engine=ecs',
    `-Name=${name}`,
    '-RamRoleName=AppSnapshotRoleName',
    ...words,
    '--output',
    'json',
  ];
  async function cloud(
    name: string,
    faults: Partial<Record<Fault, number | boolean>>,
    ...words: string[]
  ) {
    emulator.faults = { ...faults };
    try {
      return withJson(await runCli(ecsArgs(name, ...words), { env: agentEnvFor(emulator, lab) }));
    } finally {
      emulator.faults = {};
    }
  }
  /** The groups of this name in the pool, once the emulator's held calls have made them. */
  async function groupsNamed(name: string, atLeast = 1) {
    for (let i = 0; i < 100; i++) {
      const gs = listGroups(lab.pool).filter((g) => g.name === name);
      if (gs.length >= atLeast) return gs;
      await new Promise((r) => setTimeout(r, 100));
    }
    return listGroups(lab.pool).filter((g) => g.name === name);
  }
  /** What every such run must say: exit 11, the group's id in the JSON and on the last line, no tag. */
  async function expectReported(r: Awaited<ReturnType<typeof cloud>>, name: string) {
    expect(r.code, r.stderr).toBe(11);
    const [g] = await groupsNamed(name);
    expect(g, 'the service made a group').toBeDefined();
    expect(r.json.SnapshotGroupId).toBe(g!.id);
    expect(r.stderr.trim().split('\n').at(-1)).toContain(`[snapshotgroup="${g!.id}"]`);
    expect(r.json.Warnings.join('\n')).toMatch(/crash-consistent at best/);
    for (const sn of g!.snapshots) expect(sn.tags).toEqual({});
    expect(r.json.FreezeHeld).toBe(false);
    for (const i of [0, 1]) await expectThawedWithin(lab.mount(i), AT_ONCE_MS);
    return g!;
  }

  it('cut at the deadline (the service makes it late, after the thaw): exit 11 and its id, not exit 4', async () => {
    const r = await cloud('cut-deadline', { 'slow-create': 4500 }, '-TimeoutInSeconds=2');
    await expectReported(r, 'cut-deadline');
    // Either the deadline thawed first, or the agent gave up on the call just before it and
    // thawed itself: the same exit, the same id, and it says which.
    expect(r.json.Error).toMatch(
      /thawed \(by the (watchdog|agent)[^)]*deadline[^)]*\) before the snapshot point|the group call got no answer, so its point in time cannot be shown/,
    );
  });

  it('made on arrival, the answer held past the deadline: exit 11 and its id', async () => {
    const r = await cloud('slow-answer', { 'slow-answer': 5000 }, '-TimeoutInSeconds=2');
    await expectReported(r, 'slow-answer');
  });

  it('every answer cut (reset connection): the retries make one group (ClientToken), reported; the freeze ended on time', async () => {
    const before = emulator.requests.length;
    const r = await cloud('cut-reset', { 'cut-create': true }, '-TimeoutInSeconds=3');
    await expectReported(r, 'cut-reset');
    const creates = emulator.requests
      .slice(before)
      .filter((q) => q.action === 'CreateSnapshotGroup');
    expect(creates.length).toBeGreaterThanOrEqual(1);
    expect(creates.every((q) => q.code === 'Cut')).toBe(true);
    expect(await groupsNamed('cut-reset')).toHaveLength(1);
    expect(r.json.Error).toMatch(/cannot be shown to be inside the freeze/);
  });

  it('-DeleteUnclaimedGroup=true: the group it made is deleted, and the run says which', async () => {
    const r = await cloud(
      'cut-delete',
      { 'slow-create': 4500 },
      '-TimeoutInSeconds=2',
      '-DeleteUnclaimedGroup=true',
    );
    expect(r.code, r.stderr).toBe(11);
    expect(r.json.SnapshotGroupId).toBeUndefined();
    expect(r.json.Error).toMatch(
      /the group ssg-\w+ it made was deleted \(DeleteUnclaimedGroup=true\)/,
    );
    expect(listGroups(lab.pool).filter((g) => g.name === 'cut-delete')).toEqual([]);
  });

  it('the agent SIGSTOPped inside the window: the watchdog thaws on time; resumed, it reports the group (exit 11)', async () => {
    emulator.faults = { 'slow-create': 1000 };
    const arrivals = emulator.createGroupArrivals;
    const [file, ...pre] = agentArgv();
    const child = spawn(file!, [...pre, ...ecsArgs('stopped', '-TimeoutInSeconds=3')], {
      env: { ...process.env, ...agentEnvFor(emulator, lab) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const exited = new Promise<number | null>((res) => child.on('close', res));
    try {
      for (let i = 0; emulator.createGroupArrivals === arrivals; i++) {
        expect(i, 'the run never called CreateSnapshotGroup').toBeLessThan(300);
        await new Promise((res) => setTimeout(res, 50));
      }
      child.kill('SIGSTOP');
      // The watchdog (its own process) thaws at the deadline while the agent cannot run.
      await expectThawedWithin(lab.mount(0), 3000 + AT_ONCE_MS);
      await new Promise((res) => setTimeout(res, 1500));
      child.kill('SIGCONT');
      const code = await exited;
      const r = { code, stdout, stderr, json: JSON.parse(stdout) };
      await expectReported(r, 'stopped');
    } finally {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      emulator.faults = {};
    }
  });

  it('the local engine, the same fault (its group call outlives the deadline): the same exit 11 and its id', async () => {
    const run = startHeld(lab, 2500, ['-TimeoutInSeconds=1']);
    expect(await run.exited).toBe(11);
    const j = run.json();
    expect(j.SnapshotGroupId).toMatch(/^ssg-/);
    const g = listGroups(lab.pool).find((x) => x.id === j.SnapshotGroupId)!;
    for (const sn of g.snapshots) expect(sn.tags).toEqual({});
    expect(j.Warnings.join('\n')).toMatch(/crash-consistent only/);
  });
});
