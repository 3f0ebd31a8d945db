// WatchdogFreezer against a scripted watchdog (test/support/scripted-watchdog.ts): each answer,
// silence or death comes exactly when the case needs it, and the process-group kill of
// abandon() is real. watchdog.test.ts runs the same class against the real process.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markerPath, readMarker } from '../../../src/freeze/marker.js';
import type { AgentMessage } from '../../../src/freeze/protocol.js';
import { WatchdogFreezer } from '../../../src/freeze/watchdog-freezer.js';
import { Deadline } from '../../../src/system/clock.js';
import { isAlive } from '../../../src/system/process.js';
import { systemRunner } from '../../../src/system/runner.js';
import { fakeFsfreeze } from '../../support/fake-fsfreeze.js';
import { frozenMsg, scripted, thawedMsg } from '../../support/scripted-watchdog.js';
import { tmp } from '../../support/tmp.js';

function freezerWith(
  w: ReturnType<typeof scripted>,
  o: { fsfreeze?: string; stateDir?: string; graceMs?: number; alreadyFrozen?: string[] } = {},
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
  });
  return { freezer, fake, dir };
}

/** prepare() answered by a ready watchdog. */
async function started(w: ReturnType<typeof scripted>, freezer: WatchdogFreezer): Promise<void> {
  const ready = freezer.prepare();
  w.say({ event: 'ready', pid: 1 });
  await ready;
}

/** Started, then asked to freeze: resolves once the request reached the watchdog. */
async function freezing(
  w: ReturnType<typeof scripted>,
  freezer: WatchdogFreezer,
  waves: string[][],
  deadline = new Deadline(30_000),
): Promise<{ f: ReturnType<WatchdogFreezer['freeze']> }> {
  await started(w, freezer);
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

  it('asks for the freeze with the waves, the time left and its fsfreeze; marks what may be frozen', async () => {
    const w = scripted();
    const { freezer, fake, dir } = freezerWith(w);
    const { f } = await freezing(w, freezer, [['/a', '/b'], ['/c']]);
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
