// Invariants 1, 2 and 4 on real filesystems: nothing stays frozen, nothing is written to a
// frozen filesystem, one run at a time, only our own freezes are undone.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, openSync, closeSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMarker } from '../../src/freeze/marker.js';
import { startHeld as startHeldRun } from '../support/held-run.js';
import {
  agentArgv,
  AT_ONCE_MS,
  expectFrozen,
  expectThawedWithin,
  requireRoot,
  runCli,
  TestLab,
} from '../support/lab.js';

describe.skipIf(!requireRoot())('freeze safety on a real lab', () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await new TestLab().up(2);
  });
  afterAll(async () => {
    await lab?.down();
  });

  const startHeld = (delayMs: number, extra: string[] = []) => startHeldRun(lab, delayMs, extra);

  it('kill -9 of the agent while frozen: the watchdog thaws at once (not at the 60 s deadline); the next run recovers', async () => {
    const run = startHeld(30_000, ['-TimeoutInSeconds=60']);
    try {
      await run.frozen;
      // Really frozen: a write blocks.
      const blocked = await expectFrozen(lab.mount(0));
      run.child.kill('SIGKILL');
      await blocked.thawedWithin(AT_ONCE_MS);
      await expectThawedWithin(lab.mount(1), AT_ONCE_MS);
    } finally {
      run.child.kill('SIGKILL');
      for (const d of lab.state.disks) spawnSync('fsfreeze', ['-u', d.mountPoint]);
    }
    expect(readMarker(lab.stateDir)).toBeDefined(); // the dead agent could not clean up
    const next = await lab.snapshot(['-Name=after-kill']);
    expect(next.json.ExitCode).toBe(0);
    expect(readMarker(lab.stateDir)).toBeUndefined();
  });

  it('two runs at once: the second exits 16 and touches nothing; the first completes', async () => {
    const first = startHeld(2500);
    try {
      await first.frozen;
      const second = await lab.snapshot(['-Name=second']);
      expect(second.code).toBe(16);
      expect(second.json.Error).toMatch(
        /another app-snapshot-plugin run \(pid \d+\) is in progress/,
      );
      expect(second.json.Frozen).toEqual([]);
      expect(await first.exited).toBe(0);
      expect(JSON.parse(first.stdout()).Consistency).toBe('FsConsistent');
    } finally {
      first.child.kill('SIGKILL');
    }
  });

  it('completes when its log directory, cwd and stdout are on a filesystem it freezes', async () => {
    const mnt = lab.mount(0);
    const logDir = join(mnt, 'agent-logs');
    mkdirSync(logDir, { recursive: true });
    const stdoutFile = join(mnt, 'stdout.txt');
    const fd = openSync(stdoutFile, 'w');
    try {
      const [agent, ...pre] = agentArgv();
      const child = spawn(
        agent!,
        [...pre, `-Pool=${lab.pool}`, '-Engine=local', '-Name=selffreeze', '-TimeoutInSeconds=15'],
        {
          env: {
            ...process.env,
            APP_SNAPSHOT_STATE_DIR: lab.stateDir,
            APP_SNAPSHOT_LOG_DIR: logDir,
          },
          cwd: mnt,
          stdio: ['ignore', fd, fd],
        },
      );
      const code = await new Promise<number | null>((r) => child.on('close', r));
      // Had the agent written there while frozen it would have blocked until the watchdog's
      // deadline, and the late thaw would have made this exit 11.
      expect(code).toBe(0);
    } finally {
      closeSync(fd);
    }
    const out = readFileSync(stdoutFile, 'utf8');
    expect(out).toMatch(/Take FsConsistent snapshots successfully/);
    expect(out).toMatch(/Freeze filesystems \(2\)/);
    expect(readdirSync(logDir).length).toBe(1);
  });

  it('a freeze that outlives TimeoutInSeconds is thawed by the watchdog and not tagged: exit 11', async () => {
    const run = startHeld(2500, ['-TimeoutInSeconds=1']);
    expect(await run.exited).toBe(11);
    const r = JSON.parse(run.stdout());
    expect(r.Error).toMatch(/thawed \(by the watchdog: deadline\) before the snapshot point/);
    expect(r.SnapshotGroupId).toMatch(/^ssg-/);
    expect(r.Snapshots.every((s: any) => Object.keys(s.Tags).length === 0)).toBe(true);
    // The run has ended: nothing of it may still be frozen.
    for (const i of [0, 1]) await expectThawedWithin(lab.mount(i), AT_ONCE_MS);
  });

  it('a filesystem frozen by someone else: exit 11, ours rolled back, theirs left frozen', async () => {
    // This test froze the lab's own filesystem itself, standing in for another tool.
    const foreign = lab.mount(0);
    expect(spawnSync('fsfreeze', ['-f', foreign]).status).toBe(0);
    try {
      const r = await lab.snapshot(['-Name=foreign']);
      expect(r.code).toBe(11);
      expect(r.json.Error).toMatch(/freezing .* failed: .*busy/i);
      await expectThawedWithin(lab.mount(1), AT_ONCE_MS); // rolled back
      const blocked = await expectFrozen(foreign); // not ours to thaw
      spawnSync('fsfreeze', ['-u', foreign]);
      await blocked.thawedWithin(AT_ONCE_MS);
    } finally {
      spawnSync('fsfreeze', ['-u', foreign]);
    }
  });

  it('`thaw` undoes a freeze whose agent and watchdog both died', async () => {
    const run = startHeld(30_000, ['-TimeoutInSeconds=60']);
    try {
      await run.frozen;
      const marker = readMarker(lab.stateDir)!;
      expect(marker.mounts.sort()).toEqual([lab.mount(0), lab.mount(1)].sort());
      process.kill(marker.watchdogPid!, 'SIGKILL');
      run.child.kill('SIGKILL');
      await run.exited;
      const blocked = await expectFrozen(lab.mount(0)); // nobody left to thaw
      const t = await runCli(['thaw'], { env: lab.env });
      expect(t.code).toBe(0);
      expect(t.stdout).toMatch(/thawed/);
      await blocked.thawedWithin(AT_ONCE_MS);
      await expectThawedWithin(lab.mount(1), AT_ONCE_MS);
      expect((await runCli(['thaw'], { env: lab.env })).stdout).toMatch(/nothing frozen/);
    } finally {
      run.child.kill('SIGKILL');
      for (const d of lab.state.disks) spawnSync('fsfreeze', ['-u', d.mountPoint]);
    }
  });
});
