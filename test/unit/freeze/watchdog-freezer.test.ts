// WatchdogFreezer against a scripted watchdog (test/support/scripted-watchdog.ts): each answer,
// silence or death comes exactly when the case needs it, and the process-group kill of
// abandon() is real. watchdog.test.ts runs the same class against the real process.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markerPath, readMarker } from '../../../src/freeze/marker.js';
import type { AgentMessage } from '../../../src/freeze/protocol.js';
import { WatchdogFreezer, type ProcessGroup } from '../../../src/freeze/watchdog-freezer.js';
import { Deadline } from '../../../src/system/clock.js';
import { isAlive } from '../../../src/system/process.js';
import { systemRunner } from '../../../src/system/runner.js';
import { fakeFsfreeze } from '../../support/fake-fsfreeze.js';
import { frozenMsg, scripted, thawedMsg } from '../../support/scripted-watchdog.js';
import { tmp } from '../../support/tmp.js';

function freezerWith(
  w: ReturnType<typeof scripted>,
  o: {
    fsfreeze?: string;
    stateDir?: string;
    graceMs?: number;
    alreadyFrozen?: string[];
    group?: ProcessGroup;
    killWaitMs?: number;
  } = {},
) {
  const dir = tmp();
  const fake = fakeFsfreeze(dir, '', 0, o.alreadyFrozen);
  const freezer = new WatchdogFreezer({
    runner: systemRunner,
    command: { file: '/nonexistent', args: [] },
    prespawned: w.helper,
    fsfreeze: o.fsfreeze ?? fake.bin,
    stateDir: o.stateDir ?? dir,
    graceMs: o.graceMs ?? 50,
    ...(o.group ? { group: o.group } : {}),
    ...(o.killWaitMs ? { killWaitMs: o.killWaitMs } : {}),
  });
  return { freezer, fake, dir };
}

/** prepare() answered by a ready watchdog. */
async function started(
  w: ReturnType<typeof scripted>,
  freezer: WatchdogFreezer,
  freezeWith: 'ioctl' | 'fsfreeze' = 'fsfreeze',
): Promise<void> {
  const ready = freezer.prepare();
  w.say({ event: 'ready', pid: 1, freezeWith });
  await ready;
}

/** Started, then asked to freeze: resolves once the request reached the watchdog. */
async function freezing(
  w: ReturnType<typeof scripted>,
  freezer: WatchdogFreezer,
  waves: string[][],
  deadline = new Deadline(30_000),
  freezeWith: 'ioctl' | 'fsfreeze' = 'fsfreeze',
): Promise<{ f: ReturnType<WatchdogFreezer['freeze']> }> {
  await started(w, freezer, freezeWith);
  const f = freezer.freeze(waves, deadline);
  await w.sent(1);
  return { f };
}

const frozen = frozenMsg;

describe('WatchdogFreezer (scripted watchdog)', () => {
  it('a watchdog that dies before it is ready: exit 11, "did not start"', async () => {
    const w = scripted();
    const { freezer } = freezerWith(w);
    const p = freezer.prepare();
    w.say('garbage that is not JSON');
    w.die();
    await expect(p).rejects.toMatchObject({
      exitCode: 11,
      message: 'the freeze watchdog did not start',
    });
  });

  it('a watchdog started at launch that was ready before the agent listened: its "ready" is not lost', async () => {
    const w = scripted();
    const { freezer } = freezerWith(w);
    w.say({ event: 'ready', pid: 1, freezeWith: 'ioctl' });
    await new Promise((r) => setTimeout(r, 20)); // the line has arrived and is kept
    await freezer.prepare(); // hung here once (the test's 5 s limit)
    const { f } = { f: freezer.freeze([['/a']], new Deadline(30_000)) };
    await w.sent(1);
    w.say(frozen(['/a']));
    expect(await f).toMatchObject({ frozen: ['/a'], freezeWith: 'ioctl' });
    w.say(thawedMsg(['/a']));
    await freezer.thaw();
    await freezer.dispose();
  });

  it('asks for the freeze with the waves, the time left and its fsfreeze; marks what may be frozen; says how the watchdog froze', async () => {
    const w = scripted();
    const { freezer, fake, dir } = freezerWith(w);
    const { f } = await freezing(w, freezer, [['/a', '/b'], ['/c']], undefined, 'ioctl');
    const req = w.received[0] as Extract<AgentMessage, { op: 'freeze' }>;
    expect(req).toMatchObject({ op: 'freeze', waves: [['/a', '/b'], ['/c']], fsfreeze: fake.bin });
    expect(req.timeoutMs).toBeGreaterThan(25_000);
    expect(req.timeoutMs).toBeLessThanOrEqual(30_000);
    expect(readMarker(dir)).toMatchObject({
      agentPid: process.pid,
      watchdogPid: w.helper.pid,
      mounts: ['/a', '/b', '/c'],
      fsfreeze: fake.bin,
    });
    w.say(frozen(['/a', '/b', '/c']));
    expect(await f).toEqual({
      frozen: ['/a', '/b', '/c'],
      firstFreezeNs: '1000',
      lastFreezeNs: '1000',
      seenNs: expect.stringMatching(/^[1-9]\d+$/),
      freezeWith: 'ioctl',
    });
  });

  it('what the watchdog could not thaw, the agent thaws directly; the end is then its own', async () => {
    const w = scripted();
    const { freezer, fake, dir } = freezerWith(w, { alreadyFrozen: ['/b'] }); // /b is still frozen
    const { f } = await freezing(w, freezer, [['/a', '/b']]);
    w.say(frozen(['/a', '/b']));
    await f;
    const t = freezer.thaw();
    expect(await w.sent(2)).toEqual({ op: 'thaw' });
    w.say(thawedMsg(['/a'], [{ mount: '/b', error: 'Input/output error' }]));
    const out = await t;
    expect(out.reason).toBe('requested');
    expect(out.thawStartNs).toBe('2000');
    expect(BigInt(out.thawEndNs)).toBeGreaterThan(3000n);
    expect(out.thawed).toEqual(['/a', '/b']);
    expect(fake.calls()).toEqual(['-u /b']);
    expect(fake.frozen()).toEqual([]);
    expect(existsSync(markerPath(dir))).toBe(false);
  });

  it('a thaw that fails here too: exit 12 naming it, the marker kept for a later run; asked again, the same', async () => {
    const w = scripted();
    const dir = tmp();
    const { freezer } = freezerWith(w, { fsfreeze: join(dir, 'missing-fsfreeze'), stateDir: dir });
    const { f } = await freezing(w, freezer, [['/a']]);
    w.say(frozen(['/a']));
    await f;
    const t = freezer.thaw();
    await w.sent(2);
    w.say(thawedMsg([], [{ mount: '/a', error: 'EIO' }]));
    await expect(t).rejects.toMatchObject({
      exitCode: 12,
      message: expect.stringMatching(/^could not thaw \/a: .*ENOENT/),
    });
    await expect(freezer.thaw()).rejects.toMatchObject({ exitCode: 12 });
    expect(existsSync(markerPath(dir))).toBe(true);
  });

  it('the watchdog dies in the middle of a wave: the agent kills its group, thaws that wave and says so', async () => {
    const w = scripted();
    const { freezer, fake } = freezerWith(w);
    const { f } = await freezing(w, freezer, [['/a'], ['/b']]);
    w.say({ event: 'wave', index: 0 });
    await new Promise((r) => setTimeout(r, 20));
    w.die();
    await expect(f).rejects.toMatchObject({
      exitCode: 11,
      message: 'the freeze watchdog died while freezing; thawed /a directly',
    });
    expect(isAlive(w.sleeper)).toBe(false); // its process group was killed
    expect(fake.calls()).toEqual(['-u /a']);
    expect((await freezer.thaw()).reason).toBe('watchdog-lost');
  });

  it('dead before any wave: nothing to thaw, and it says so', async () => {
    const w = scripted();
    const { freezer, fake } = freezerWith(w);
    const { f } = await freezing(w, freezer, [['/a']]);
    w.die();
    await expect(f).rejects.toMatchObject({
      message: 'the freeze watchdog died while freezing; thawed nothing directly',
    });
    expect(fake.calls()).toEqual([]);
  });

  it('silent past the deadline and the grace: "stopped answering", thawed directly', async () => {
    const w = scripted();
    const { freezer, fake } = freezerWith(w, { graceMs: 30 });
    const { f } = await freezing(w, freezer, [['/a']], new Deadline(150));
    w.say({ event: 'wave', index: 0 });
    await expect(f).rejects.toMatchObject({
      message: 'the freeze watchdog stopped answering while freezing; thawed /a directly',
    });
    expect(fake.calls()).toEqual(['-u /a']);
  });

  it('the watchdog dies while frozen: the agent thaws at once and cannot vouch for the freeze', async () => {
    const w = scripted();
    const { freezer, fake } = freezerWith(w);
    const { f } = await freezing(w, freezer, [['/a', '/b']]);
    w.say(frozen(['/a', '/b']));
    await f;
    w.die();
    const out = await freezer.thaw();
    expect(out.reason).toBe('watchdog-lost');
    expect(out.thawed).toEqual(['/a', '/b']);
    expect(fake.calls().sort()).toEqual(['-u /a', '-u /b']);
  });

  it('a failed freeze: only what froze before it is thawed; the watchdog’s word on why', async () => {
    const w = scripted();
    const { freezer } = freezerWith(w);
    const { f } = await freezing(w, freezer, [['/a'], ['/b']]);
    w.say({
      event: 'freeze-failed',
      mount: '/b',
      error: 'Device or resource busy',
      frozenBefore: [],
    });
    w.say(thawedMsg([], [], 'freeze-failed'));
    await expect(f).rejects.toMatchObject({
      exitCode: 11,
      message: 'freezing /b failed: Device or resource busy',
      details: { mount: '/b', rolledBack: [] },
    });
    const out = await freezer.thaw();
    expect(out.thawed).toEqual([]);
  });

  it('a frozen marker that cannot be written: exit 1 naming it, and nothing asked of the watchdog', async () => {
    const w = scripted();
    const file = join(tmp(), 'file');
    writeFileSync(file, '');
    const { freezer } = freezerWith(w, { stateDir: join(file, 'state') });
    await started(w, freezer);
    await expect(freezer.freeze([['/a']], new Deadline(30_000))).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(
        /^cannot write the frozen marker in the state directory .*\/state: ENOTDIR/,
      ),
    });
    expect(w.received).toEqual([]);
  });

  it('never frozen: thaw has nothing to do and asks nothing', async () => {
    const w = scripted();
    const { freezer } = freezerWith(w);
    await started(w, freezer);
    const out = await freezer.thaw();
    expect(out).toMatchObject({ reason: 'requested', thawed: [] });
    expect(w.received).toEqual([]);
  });
});

describe('WatchdogFreezer: the ways out of a freeze', () => {
  it('a failed freeze and then no report (the watchdog died): only ours is thawed, not the mount someone else froze', async () => {
    const w = scripted();
    const { freezer, fake } = freezerWith(w, { alreadyFrozen: ['/b'] });
    const { f } = await freezing(w, freezer, [['/a', '/b'], ['/c']]);
    execFileSync(fake.bin, ['--freeze', '/a']); // what the watchdog froze before /b failed
    w.say({ event: 'wave', index: 0 });
    w.say({
      event: 'freeze-failed',
      mount: '/b',
      error: 'Device or resource busy',
      frozenBefore: ['/a'],
    });
    await w.sent(2); // the agent asks for the thaw; the watchdog dies instead
    w.die();
    await expect(f).rejects.toMatchObject({
      message: 'freezing /b failed: Device or resource busy',
    });
    expect(fake.calls().filter((c) => c.startsWith('-u'))).toEqual(['-u /a']);
    expect(fake.frozen()).toEqual(['/b']); // theirs, left as it was
    expect((await freezer.thaw()).reason).toBe('watchdog-lost');
  });

  it('dead after two of three waves: those two are thawed, the later wave first', async () => {
    const w = scripted();
    const { freezer, fake } = freezerWith(w);
    const { f } = await freezing(w, freezer, [['/a'], ['/b'], ['/c']]);
    w.say({ event: 'wave', index: 0 });
    w.say({ event: 'wave', index: 1 });
    await new Promise((r) => setTimeout(r, 20));
    w.die();
    await expect(f).rejects.toMatchObject({ message: /thawed \/a, \/b directly$/ });
    expect(fake.calls()).toEqual(['-u /b', '-u /a']);
  });

  it('frozen, and no answer to the thaw by the deadline and the grace: the agent thaws (agent-deadline)', async () => {
    const w = scripted();
    const { freezer, fake } = freezerWith(w, { graceMs: 30 });
    const { f } = await freezing(w, freezer, [['/a'], ['/b']], new Deadline(300));
    w.say(frozen(['/a', '/b']));
    await f;
    const out = await freezer.thaw(); // asked at once; the watchdog stays silent
    expect(w.received.at(-1)).toEqual({ op: 'thaw' });
    expect(out).toMatchObject({ reason: 'agent-deadline', thawed: ['/a', '/b'] });
    expect(fake.calls()).toEqual(['-u /b', '-u /a']);
    expect(isAlive(w.sleeper)).toBe(false);
  });

  it('frozen and never asked: at the deadline and the grace the agent thaws by itself', async () => {
    const w = scripted();
    const { freezer, fake } = freezerWith(w, { graceMs: 30 });
    const { f } = await freezing(w, freezer, [['/a']], new Deadline(200));
    w.say(frozen(['/a']));
    await f;
    for (let i = 0; i < 200 && !fake.calls().length; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(fake.calls()).toEqual(['-u /a']);
    expect(w.received).toHaveLength(1); // no thaw was asked of the watchdog
    expect((await freezer.thaw()).reason).toBe('agent-deadline');
  });

  it('the watchdog thawed by itself at its deadline: its report is the outcome, nothing is killed', async () => {
    const w = scripted();
    const { freezer, fake } = freezerWith(w, { graceMs: 30 });
    const { f } = await freezing(w, freezer, [['/a']], new Deadline(200));
    w.say(frozen(['/a']));
    await f;
    w.say(thawedMsg(['/a'], [], 'deadline'));
    await new Promise((r) => setTimeout(r, 400)); // past the deadline and the grace
    expect(isAlive(w.sleeper)).toBe(true);
    expect(await freezer.thaw()).toMatchObject({ reason: 'deadline', thawEndNs: '3000' });
    expect(w.received).toHaveLength(1); // the report was there: no thaw asked
    expect(fake.calls()).toEqual([]);
  });

  it('a killed group that takes time to die: the agent thaws only once it is gone', async () => {
    const w = scripted();
    const order: string[] = [];
    let lingers = 3;
    const group: ProcessGroup = {
      kill: () => void order.push('kill'),
      members: () => (lingers-- > 0 ? (order.push('alive'), [1]) : []),
    };
    const { freezer, fake } = freezerWith(w, { group });
    const { f } = await freezing(w, freezer, [['/a']]);
    w.say(frozen(['/a']));
    await f;
    w.die();
    await freezer.thaw();
    expect(order).toEqual(['kill', 'alive', 'alive', 'alive']);
    expect(fake.calls()).toEqual(['-u /a']);
  });

  it('a group that will not die: the agent thaws anyway once the wait is spent', async () => {
    const w = scripted();
    const group: ProcessGroup = { kill: () => undefined, members: () => [1] };
    const { freezer, fake } = freezerWith(w, { group, killWaitMs: 150 });
    const { f } = await freezing(w, freezer, [['/a']]);
    w.say(frozen(['/a']));
    await f;
    w.die();
    const t0 = performance.now();
    expect((await freezer.thaw()).thawed).toEqual(['/a']);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(fake.calls()).toEqual(['-u /a']);
  });

  it('dispose while frozen thaws first, then lets the watchdog go (and waits 1 s at most)', async () => {
    const w = scripted();
    const { freezer } = freezerWith(w);
    const { f } = await freezing(w, freezer, [['/a']]);
    w.say(frozen(['/a']));
    await f;
    const disposed = freezer.dispose();
    expect(await w.sent(2)).toEqual({ op: 'thaw' });
    w.say(thawedMsg(['/a']));
    const t0 = performance.now();
    await disposed; // the scripted watchdog never exits by itself
    expect(performance.now() - t0).toBeLessThan(5_000);
    expect(await freezer.thaw()).toMatchObject({ reason: 'requested', thawed: ['/a'] });
  });

  it('thaw() while freeze() is still running is a mistake, said at once', async () => {
    const w = scripted();
    const { freezer } = freezerWith(w);
    const { f } = await freezing(w, freezer, [['/a']]);
    await expect(freezer.thaw()).rejects.toThrow('thaw() while freeze() is running');
    w.die();
    await expect(f).rejects.toMatchObject({ message: /died while freezing/ });
  });
});
