import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Deadline } from '../../../src/system/clock.js';
import { markerPath } from '../../../src/freeze/marker.js';
import type { WatchdogMessage } from '../../../src/freeze/protocol.js';
import { WatchdogFreezer } from '../../../src/freeze/watchdog-freezer.js';
import { systemRunner } from '../../../src/system/runner.js';
import { fakeFsfreeze, WATCHDOG } from '../../support/fake-fsfreeze.js';
import { tmp } from '../../support/tmp.js';
import { describeFreezerContract, type FreezerFixture } from '../../contract/freezer-contract.js';

const WAVES = [['/m/child', '/m/other'], ['/m']];

/** Polls `cond` (bounded): for things another process does, without a fixed sleep. */
async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}
const sorted = (xs: string[]) => [...xs].sort();

function freezerIn(dir: string, failOn = '') {
  const fake = fakeFsfreeze(dir, failOn);
  const freezer = new WatchdogFreezer({
    runner: systemRunner,
    command: WATCHDOG,
    fsfreeze: fake.bin,
    stateDir: dir,
  });
  return { freezer, calls: fake.calls };
}

describe('WatchdogFreezer (real watchdog process, fake fsfreeze)', () => {
  it('freezes wave by wave (in parallel within one), thaws the waves backwards, marker only while frozen', async () => {
    const dir = tmp();
    const { freezer, calls } = freezerIn(dir);
    await freezer.prepare();
    const out = await freezer.freeze(WAVES, new Deadline(30_000));
    expect(out.frozen).toEqual(WAVES.flat());
    expect(existsSync(markerPath(dir))).toBe(true);
    const thaw = await freezer.thaw();
    expect(thaw.reason).toBe('requested');
    expect(BigInt(thaw.thawStartNs)).toBeGreaterThan(BigInt(out.lastFreezeNs));
    await freezer.dispose();
    const c = calls();
    expect(sorted(c.slice(0, 2))).toEqual(['-f /m/child', '-f /m/other']);
    expect(c.slice(2, 4)).toEqual(['-f /m', '-u /m']);
    expect(sorted(c.slice(4))).toEqual(['-u /m/child', '-u /m/other']);
    expect(existsSync(markerPath(dir))).toBe(false);
    // idempotent: the same answer, no second thaw
    expect((await freezer.thaw()).reason).toBe('requested');
    expect(calls()).toHaveLength(6);
  });

  it('rolls back a partial freeze and fails with exit code 11', async () => {
    const dir = tmp();
    const { freezer, calls } = freezerIn(dir, '/m/other');
    await freezer.prepare();
    await expect(
      freezer.freeze([['/m/child'], ['/m/other'], ['/m']], new Deadline(30_000)),
    ).rejects.toMatchObject({
      exitCode: 11,
    });
    await freezer.dispose();
    expect(calls()).toEqual(['-f /m/child', '-f /m/other', '-u /m/child']);
    expect(existsSync(markerPath(dir))).toBe(false);
  });

  it('freezes nothing when the run no longer owns its lock (another run took it over): exit 16', async () => {
    const dir = tmp();
    const fake = fakeFsfreeze(dir);
    let owns = true;
    const freezer = new WatchdogFreezer({
      runner: systemRunner,
      command: WATCHDOG,
      fsfreeze: fake.bin,
      stateDir: dir,
      ownsLock: () => owns,
    });
    await freezer.prepare();
    owns = false;
    await expect(freezer.freeze([['/m']], new Deadline(30_000))).rejects.toMatchObject({
      exitCode: 16,
      message: 'another run took over the lock of this one: nothing was frozen',
    });
    await freezer.dispose();
    expect(fake.calls()).toEqual([]);
    expect(existsSync(markerPath(dir))).toBe(false);
  });

  it('thaws by itself when the deadline passes, and says so', async () => {
    const dir = tmp();
    const { freezer, calls } = freezerIn(dir);
    await freezer.prepare();
    await freezer.freeze([['/m']], new Deadline(200));
    // Wait for the watchdog's own thaw report (no fixed sleep): thaw() then returns it.
    await until(() => calls().length === 2);
    expect(calls()).toEqual(['-f /m', '-u /m']);
    const thaw = await freezer.thaw();
    expect(thaw.reason).toBe('deadline');
    await freezer.dispose();
  });
});

describe('watchdog process', () => {
  async function startFrozen(dir: string) {
    const fake = fakeFsfreeze(dir);
    const helper = systemRunner.spawnHelper(WATCHDOG.file, WATCHDOG.args);
    const messages: WatchdogMessage[] = [];
    const waiters: (() => void)[] = [];
    helper.onLine((l) => {
      messages.push(JSON.parse(l) as WatchdogMessage);
      waiters.splice(0).forEach((w) => w());
    });
    const until = async (event: string) => {
      while (!messages.some((m) => m.event === event))
        await new Promise<void>((r) => waiters.push(r));
      return messages.find((m) => m.event === event)!;
    };
    await until('ready');
    helper.send(
      `${JSON.stringify({ op: 'freeze', waves: [['/a', '/b']], timeoutMs: 60_000, fsfreeze: fake.bin })}\n`,
    );
    await until('frozen');
    return { helper, until, calls: fake.calls };
  }

  it('thaws when the agent goes away (its pipe closes, as on SIGKILL)', async () => {
    const { helper, until, calls } = await startFrozen(tmp());
    helper.end();
    const thawed = await until('thawed');
    expect(thawed).toMatchObject({ reason: 'agent-gone', failures: [] });
    expect(sorted((thawed as { thawed: string[] }).thawed)).toEqual(['/a', '/b']);
    expect(await helper.exited).toBe(0);
    expect(sorted(calls().slice(2))).toEqual(['-u /a', '-u /b']);
  });

  it('thaws on SIGTERM', async () => {
    const { helper, until } = await startFrozen(tmp());
    process.kill(helper.pid, 'SIGTERM');
    expect(await until('thawed')).toMatchObject({ reason: 'signal', failures: [] });
  });
});

describeFreezerContract('watchdog (real process, fake fsfreeze)', () => {
  const fixture = (failOn = '', foreign: string[] = []): FreezerFixture => {
    const dir = tmp();
    const fake = fakeFsfreeze(dir, failOn, 0, foreign);
    return {
      freezer: new WatchdogFreezer({
        runner: systemRunner,
        command: WATCHDOG,
        fsfreeze: fake.bin,
        stateDir: dir,
      }),
      frozen: fake.frozen,
      failing: (mount) => fixture(mount),
      frozenByOthers: (mount) => fixture('', [mount]),
    };
  };
  return fixture();
});

describe('watchdog races', () => {
  function start(freezeSeconds: number, timeoutMs: number) {
    const dir = tmp();
    const fake = fakeFsfreeze(dir, '', freezeSeconds);
    const helper = systemRunner.spawnHelper(WATCHDOG.file, WATCHDOG.args);
    const messages: WatchdogMessage[] = [];
    helper.onLine((l) => messages.push(JSON.parse(l) as WatchdogMessage));
    const freeze = () =>
      helper.send(
        `${JSON.stringify({ op: 'freeze', waves: [['/a', '/b'], ['/p']], timeoutMs, fsfreeze: fake.bin })}\n`,
      );
    return { helper, messages, freeze, fake };
  }

  it('the agent dies in the middle of a wave: the wave settles, then everything is thawed', async () => {
    const w = start(0.3, 60_000);
    w.freeze();
    await new Promise((r) => setTimeout(r, 100)); // the first wave is still being frozen
    w.helper.end();
    expect(await w.helper.exited).toBe(0);
    expect(w.fake.frozen()).toEqual([]);
    const thawed = w.messages.find((m) => m.event === 'thawed');
    expect(thawed).toMatchObject({ failures: [] });
    expect(
      w.fake
        .calls()
        .filter((c) => c.startsWith('-f'))
        .sort(),
    ).toEqual(['-f /a', '-f /b']); // never reached /p
  });

  it('the deadline passes while freezing: reported as a failed freeze, and thawed', async () => {
    const w = start(0.3, 150);
    w.freeze();
    expect(await w.helper.exited).toBe(0);
    expect(w.fake.frozen()).toEqual([]);
    expect(w.messages.map((m) => m.event)).toEqual(['ready', 'wave', 'freeze-failed', 'thawed']);
  });
});

describe('WatchdogFreezer when its watchdog fails (real processes, fake fsfreeze)', () => {
  function slowFreezer(freezeSeconds: number) {
    const dir = tmp();
    const fake = fakeFsfreeze(dir, '', freezeSeconds);
    const freezer = new WatchdogFreezer({
      runner: systemRunner,
      command: WATCHDOG,
      fsfreeze: fake.bin,
      stateDir: dir,
      graceMs: 50,
    });
    return { freezer, fake, dir };
  }
  const watchdogPid = (dir: string) =>
    JSON.parse(readFileSync(markerPath(dir), 'utf8')).watchdogPid as number;

  it('killed in the middle of a wave: the agent thaws what that wave may have frozen, never the next wave', async () => {
    const { freezer, fake, dir } = slowFreezer(0.3);
    await freezer.prepare();
    const freezing = freezer.freeze([['/a', '/b'], ['/p']], new Deadline(30_000));
    await until(() => fake.calls().length === 2); // both FIFREEZE of wave 0 in flight
    process.kill(watchdogPid(dir), 'SIGKILL');
    await expect(freezing).rejects.toMatchObject({
      exitCode: 11,
      message: expect.stringMatching(/watchdog died while freezing; thawed \/a, \/b directly/),
    });
    expect(fake.frozen()).toEqual([]);
    expect(
      fake
        .calls()
        .filter((c) => c.startsWith('-f'))
        .sort(),
    ).toEqual(['-f /a', '-f /b']);
    expect(existsSync(markerPath(dir))).toBe(false);
    await freezer.dispose();
  });

  it('killed while frozen: the agent notices at once, thaws directly and cannot vouch for the freeze', async () => {
    const { freezer, fake, dir } = slowFreezer(0);
    await freezer.prepare();
    await freezer.freeze([['/a'], ['/p']], new Deadline(30_000));
    process.kill(watchdogPid(dir), 'SIGKILL');
    await until(() => fake.frozen().length === 0);
    const thaw = await freezer.thaw();
    expect(thaw.reason).toBe('watchdog-lost');
    expect(fake.calls().slice(2)).toEqual(['-u /p', '-u /a']);
    await freezer.dispose();
  });

  it('stopped (SIGSTOP) while frozen: at the deadline the agent kills it and thaws; it never wakes up', async () => {
    const { freezer, fake, dir } = slowFreezer(0);
    await freezer.prepare();
    await freezer.freeze([['/a']], new Deadline(300));
    const pid = watchdogPid(dir);
    process.kill(pid, 'SIGSTOP');
    await until(() => fake.frozen().length === 0);
    const thaw = await freezer.thaw();
    expect(thaw.reason).toBe('agent-deadline');
    await until(() => !existsSync(`/proc/${pid}`) || /^\S+ \S+ [ZX]/.test(stat(pid)));
    await freezer.dispose();
  });
});

function stat(pid: number): string {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return `${pid} x ${s.slice(s.lastIndexOf(')') + 2)}`;
  } catch {
    return '';
  }
}
