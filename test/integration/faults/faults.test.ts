// The fault matrix (docs/010_how-a-run-works.md, the invariants): the agent and its watchdog killed or stopped at each phase,
// simultaneous runs, full, read-only and frozen state and log directories. For every case:
// nothing frozen after T + 1 s, the documented exit code, no tag it cannot vouch for, and
// the next run succeeds.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMarker } from '../../../src/freeze/marker.js';
import { startHeld, type HeldRun } from '../../support/held-run.js';
import {
  expectThawedWithin,
  requireRoot,
  TestLab,
  timeout,
  writeProbe,
} from '../../support/lab.js';
import { vendorStyleScripts } from '../../support/scripts.js';

const T = 2; // TimeoutInSeconds in these cases

describe.skipIf(!requireRoot())('fault matrix on a real lab', () => {
  let lab: TestLab;
  /** Frozen past the deadline, per case (ms): the closing note quotes the worst. */
  const pastDeadline: Record<string, number> = {};
  beforeAll(async () => {
    // Disks 0 and 1 are the group; disk 2 is left out of it (-ExcludeDiskId) and serves as
    // "some other filesystem" for the frozen state and log directory cases.
    lab = await new TestLab().up(3, 'ext4,xfs,ext4');
  });
  afterAll(async () => {
    await lab?.down();
    console.log(`frozen past the deadline (ms): ${JSON.stringify(pastDeadline)}`);
  });
  const group = () => ['-ExcludeDiskId', lab.state.disks[2]!.id];
  const other = () => lab.mount(2);

  /** Every group filesystem takes a write within `withinMs` from now. */
  const thawedWithin = async (withinMs: number) => {
    for (const i of [0, 1]) await expectThawedWithin(lab.mount(i), withinMs);
  };
  const frozenNow = async () =>
    (await Promise.race([writeProbe(lab.mount(0)), timeout(300)])) === 'timeout';
  const untagged = (json: any) =>
    json.Snapshots.every((s: any) => Object.keys(s.Tags).length === 0);
  const nextRunSucceeds = async () => {
    const r = await lab.snapshot(['-Name=next', ...group()]);
    expect(r.json?.ExitCode, r.stderr).toBe(0);
    expect(r.json.Consistency).toBe('FsConsistent');
    expect(readMarker(lab.stateDir)).toBeUndefined();
  };
  const cleanup = (run: HeldRun | undefined) => {
    run?.child.kill('SIGCONT');
    run?.child.kill('SIGKILL');
    for (const d of lab.state.disks) spawnSync('fsfreeze', ['-u', d.mountPoint]);
  };
  /** Time from the freeze until the filesystems take writes again, minus T. */
  const measurePast = async (name: string, frozenAt: number) => {
    await expectThawedWithin(lab.mount(0), T * 1000 + 5000);
    pastDeadline[name] = Math.round(performance.now() - frozenAt - T * 1000);
  };

  it('watchdog SIGKILLed while frozen: the agent thaws at once; exit 11, no tag, group kept', async () => {
    let run: HeldRun | undefined;
    try {
      run = startHeld(lab, 6000, [`-TimeoutInSeconds=${T}`, ...group()]);
      await run.frozen;
      const frozenAt = performance.now();
      expect(await frozenNow()).toBe(true);
      const watchdog = readMarker(lab.stateDir)!.watchdogPid!;
      process.kill(watchdog, 'SIGKILL');
      await thawedWithin(1000);
      await measurePast('watchdog SIGKILL', frozenAt);
      expect(await run.exited).toBe(11);
      const json = run.json();
      expect(json.Error).toMatch(/watchdog died or stopped answering/);
      expect(json.SnapshotGroupId).toMatch(/^ssg-/);
      expect(untagged(json)).toBe(true);
    } finally {
      cleanup(run);
    }
    await nextRunSucceeds();
  });

  it('watchdog SIGSTOPped while frozen: the agent keeps its own deadline (T + grace), kills it and thaws; exit 11', async () => {
    let run: HeldRun | undefined;
    try {
      run = startHeld(lab, 8000, [`-TimeoutInSeconds=${T}`, ...group()]);
      await run.frozen;
      const frozenAt = performance.now();
      const watchdog = readMarker(lab.stateDir)!.watchdogPid!;
      process.kill(watchdog, 'SIGSTOP');
      await thawedWithin(T * 1000 + 1000);
      await measurePast('watchdog SIGSTOP', frozenAt);
      expect(await run.exited).toBe(11);
      expect(untagged(run.json())).toBe(true);
      // Killed, not left stopped: it can never wake up and thaw a later run's freeze.
      expect(existsSync(`/proc/${watchdog}`)).toBe(false);
    } finally {
      cleanup(run);
    }
    await nextRunSucceeds();
  });

  it('agent SIGSTOPped while frozen: the watchdog thaws at T; once resumed the agent exits 11 untagged', async () => {
    let run: HeldRun | undefined;
    try {
      run = startHeld(lab, 500, [`-TimeoutInSeconds=${T}`, ...group()]);
      await run.frozen;
      const frozenAt = performance.now();
      run.child.kill('SIGSTOP');
      await thawedWithin(T * 1000 + 1000);
      await measurePast('agent SIGSTOP', frozenAt);
      run.child.kill('SIGCONT');
      expect(await run.exited).toBe(11);
      expect(run.json().Error).toMatch(
        /thawed \(by the watchdog: deadline\) before the snapshot point/,
      );
      expect(untagged(run.json())).toBe(true);
    } finally {
      cleanup(run);
    }
    await nextRunSucceeds();
  });

  it('agent SIGKILLed during its pre-script: nothing is frozen, the next run takes the dead lock over', async () => {
    const s = vendorStyleScripts(join(lab.root, 'kill-pre'), { preBody: 'sleep 30' });
    let run: HeldRun | undefined;
    try {
      run = startHeld(lab, 0, [`-PreScriptPath=${s.pre}`, `-PostScriptPath=${s.post}`, ...group()]);
      for (let i = 0; i < 200 && !existsSync(s.evidence); i++) await timeout(20);
      expect(readFileSync(s.evidence, 'utf8')).toBe('pre\n');
      run.child.kill('SIGKILL');
      await run.exited;
      expect(await frozenNow()).toBe(false);
      expect(existsSync(join(lab.stateDir, 'lock'))).toBe(true); // the dead run's
    } finally {
      cleanup(run);
      spawnSync('pkill', ['-f', 'sleep 30']);
    }
    await nextRunSucceeds();
  });

  it('watchdog SIGKILLed before the freeze (during the pre-script): exit 11, nothing frozen, no group', async () => {
    const s = vendorStyleScripts(join(lab.root, 'kill-wd'), { preBody: 'sleep 1' });
    const before = readdirSync(join(lab.pool, 'groups')).length;
    let run: HeldRun | undefined;
    try {
      run = startHeld(lab, 0, [`-PreScriptPath=${s.pre}`, `-PostScriptPath=${s.post}`, ...group()]);
      for (let i = 0; i < 200 && !existsSync(s.evidence); i++) await timeout(20);
      const watchdogs = spawnSync('pgrep', ['-f', '__watchdog'], { encoding: 'utf8' })
        .stdout.trim()
        .split('\n')
        .filter(Boolean)
        .map(Number)
        .filter(
          (pid) =>
            readFileSync(`/proc/${pid}/stat`, 'utf8').split(' ')[3] === String(run!.child.pid),
        );
      expect(watchdogs).toHaveLength(1);
      process.kill(watchdogs[0]!, 'SIGKILL');
      expect(await run.exited).toBe(11);
      expect(run.json().Error).toMatch(/watchdog died while freezing; thawed nothing/);
      expect(readFileSync(s.evidence, 'utf8')).toBe('pre\npost\n');
      expect(readdirSync(join(lab.pool, 'groups')).length).toBe(before);
      expect(await frozenNow()).toBe(false);
    } finally {
      cleanup(run);
    }
    await nextRunSucceeds();
  });

  it('three runs started at once, five times: exactly one succeeds, the others exit 16, nothing stays frozen', async () => {
    for (let round = 0; round < 5; round++) {
      // Each held in its window for a while, so that the three really overlap.
      const runs = [0, 1, 2].map(() => startHeld(lab, 1500, group()));
      try {
        const codes = (await Promise.all(runs.map((r) => r.exited))).sort();
        expect(codes, runs.map((r) => r.stdout()).join(' | ')).toEqual([0, 16, 16]);
        expect(await frozenNow()).toBe(false);
        expect(readMarker(lab.stateDir)).toBeUndefined();
      } finally {
        runs.forEach(cleanup);
      }
    }
  });

  it("a run that loses the lock never touches the winner's frozen marker", async () => {
    const first = startHeld(lab, 2500, group());
    try {
      await first.frozen;
      const marker = readFileSync(join(lab.stateDir, 'frozen.json'), 'utf8');
      const second = await lab.snapshot(['-Name=loser', ...group()]);
      expect(second.code).toBe(16);
      expect(readFileSync(join(lab.stateDir, 'frozen.json'), 'utf8')).toBe(marker);
      expect(await first.exited).toBe(0);
    } finally {
      cleanup(first);
    }
  });

  /** A tmpfs of the test's own under the lab root, cleaned up by the caller. */
  const tmpfs = (name: string, opts: string) => {
    const dir = join(lab.root, name);
    mkdirSync(dir, { recursive: true });
    expect(spawnSync('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]).status).toBe(0);
    return dir;
  };
  const fill = (dir: string) =>
    spawnSync('sh', ['-c', `dd if=/dev/zero of=${dir}/filler bs=4k 2>/dev/null; sync`]);
  const umount = (dir: string) => spawnSync('umount', ['-l', dir]);

  it('a full state directory: exit 1 with one clear line, no stack trace, no partial file', async () => {
    const dir = tmpfs('full-state', 'size=64k,mode=700');
    try {
      fill(dir);
      const r = await lab.snapshot(['-Name=full', ...group()], {
        env: { APP_SNAPSHOT_STATE_DIR: dir },
      });
      expect(r.code).toBe(1);
      expect(r.json.Error).toMatch(/state directory .*: the filesystem is full \(ENOSPC\)/);
      expect(r.stdout + r.stderr).not.toMatch(/unexpected|    at /);
      expect(readdirSync(dir)).toEqual(['filler']);
      expect(await frozenNow()).toBe(false);
    } finally {
      umount(dir);
    }
  });

  it('a read-only state directory: exit 1 with one clear line', async () => {
    const dir = tmpfs('ro-state', 'size=64k,mode=700');
    try {
      expect(spawnSync('mount', ['-o', 'remount,ro', dir]).status).toBe(0);
      const r = await lab.snapshot(['-Name=ro', ...group()], {
        env: { APP_SNAPSHOT_STATE_DIR: dir },
      });
      expect(r.code).toBe(1);
      expect(r.json.Error).toMatch(/state directory .*read-only/i);
    } finally {
      umount(dir);
    }
  });

  it('a state directory on a filesystem someone keeps frozen: exit 1 within seconds, not a hang', async () => {
    const dir = join(other(), 'state');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    expect(spawnSync('fsfreeze', ['-f', other()]).status).toBe(0);
    try {
      const r = await Promise.race([
        lab.snapshot(['-Name=frozenstate', ...group()], { env: { APP_SNAPSHOT_STATE_DIR: dir } }),
        timeout(20_000),
      ]);
      expect(r).not.toBe('timeout');
      if (r === 'timeout') return;
      expect(r.code).toBe(1);
      expect(r.json.Error).toMatch(/takes no write within 2 s: is its filesystem .* frozen/);
    } finally {
      spawnSync('fsfreeze', ['-u', other()]);
    }
  });

  it('a full log directory: the snapshot succeeds, a warning says why, no empty log file', async () => {
    const dir = tmpfs('full-logs', 'size=64k,mode=700');
    try {
      fill(dir);
      const r = await lab.snapshot(['-Name=fulllog', ...group()], {
        env: { APP_SNAPSHOT_LOG_DIR: dir },
      });
      expect(r.json?.ExitCode, r.stderr).toBe(0);
      expect(r.stderr).toMatch(
        /warning: could not write the log file in .*No space left on device/,
      );
      expect(readdirSync(dir)).toEqual(['filler']);
    } finally {
      umount(dir);
    }
  });

  it('a log directory on a frozen filesystem: the run ends (bounded), the log appears after the thaw', async () => {
    const dir = join(other(), 'logs');
    mkdirSync(dir, { recursive: true });
    expect(spawnSync('fsfreeze', ['-f', other()]).status).toBe(0);
    try {
      const r = await Promise.race([
        lab.snapshot(['-Name=frozenlog', ...group()], { env: { APP_SNAPSHOT_LOG_DIR: dir } }),
        timeout(30_000),
      ]);
      expect(r).not.toBe('timeout');
      if (r === 'timeout') return;
      expect(r.json.ExitCode).toBe(0);
      expect(r.stderr).toMatch(/took no write within 5000 ms \(is its filesystem frozen\?\)/);
    } finally {
      spawnSync('fsfreeze', ['-u', other()]);
    }
    for (let i = 0; i < 100 && !readdirSync(dir).some((f) => f.endsWith('.log')); i++) {
      await timeout(20);
    }
    expect(readdirSync(dir).filter((f) => f.endsWith('.log'))).toHaveLength(1);
  });
});
