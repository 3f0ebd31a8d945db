// The watchdog's logic driven in-process through its WatchdogIo: streams for the pipes, a fake
// fsfreeze that keeps what is frozen in memory. watchdog.test.ts runs the real process; this
// file reaches every branch (and lets mutation testing see them: a child process is invisible
// to its coverage).
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { FsfreezeResult } from '../../../src/freeze/fsfreeze.js';
import type { ThawReport, WatchdogMessage } from '../../../src/freeze/protocol.js';
import { runWatchdog, type WatchdogIo } from '../../../src/freeze/watchdog.js';
import { feedFromNode, LineFeed } from '../../../src/system/lines.js';

const BIN = '/sbin/fsfreeze-under-test';

interface Call {
  readonly bin: string;
  readonly action: 'freeze' | 'thaw';
  readonly mount: string;
  readonly timeoutMs: number;
}

interface Behaviour {
  /** This mount's freeze fails with this strerror text. */
  failFreeze?: Record<string, string>;
  /** This mount's freeze takes this long; past its timeout it is reported timed out, yet lands. */
  freezeMs?: Record<string, number>;
  /** This mount's first N thaws fail. */
  thawFailures?: Record<string, number>;
  /**
   * This mount's freeze holds the whole thread this long, as an ioctl does (ioctl.ts): no
   * timer fires meanwhile. The freeze then lands.
   */
  blockMs?: Record<string, number>;
}

/** An in-memory fsfreeze: honours the action, the mount and the timeout it is given. */
function memoryFsfreeze(b: Behaviour = {}) {
  const frozen = new Set<string>();
  const calls: Call[] = [];
  const thawFailuresLeft = { ...b.thawFailures };
  const result = (ok: boolean, extra: Partial<FsfreezeResult & { timedOut: boolean }> = {}) => ({
    ok,
    notFrozen: false,
    alreadyFrozen: false,
    error: '',
    timedOut: false,
    ...extra,
  });
  const fsfreeze: WatchdogIo['fsfreeze'] = (bin, action, mount, timeoutMs) => {
    calls.push({ bin, action, mount, timeoutMs });
    if (action === 'thaw') {
      if ((thawFailuresLeft[mount] ?? 0) > 0) {
        thawFailuresLeft[mount]!--;
        return Promise.resolve(result(false, { error: `${mount}: Input/output error` }));
      }
      if (!frozen.delete(mount))
        return Promise.resolve(result(false, { notFrozen: true, error: 'Invalid argument' }));
      return Promise.resolve(result(true));
    }
    const blocks = b.blockMs?.[mount];
    if (blocks) {
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, blocks);
      frozen.add(mount);
      return Promise.resolve(result(true));
    }
    const takes = b.freezeMs?.[mount] ?? 0;
    return new Promise((resolve) => {
      const land = () => {
        const failure = b.failFreeze?.[mount];
        if (failure) return resolve(result(false, { error: failure }));
        frozen.add(mount);
        resolve(result(true));
      };
      if (takes <= timeoutMs) return void setTimeout(land, takes);
      // The kill comes at the timeout; the FIFREEZE still lands afterwards.
      setTimeout(() => resolve(result(false, { error: 'timed out', timedOut: true })), timeoutMs);
      setTimeout(() => frozen.add(mount), takes);
    });
  };
  return { fsfreeze, frozen, calls };
}

function start(b: Behaviour = {}) {
  const input = new PassThrough();
  const sent: WatchdogMessage[] = [];
  const signals = new Map<string, () => void>();
  const fake = memoryFsfreeze(b);
  let waiters: (() => void)[] = [];
  const io: WatchdogIo = {
    readLines: (onLine, onEnd) => {
      const feed = new LineFeed();
      feed.listen(onLine);
      feedFromNode(input, feed, onEnd);
    },
    send: (m) => {
      sent.push(m);
      for (const w of waiters) w();
      waiters = [];
    },
    onSignal: (sig, handler) => signals.set(sig, handler),
    fsfreeze: fake.fsfreeze,
    freezeWith: () => 'fsfreeze',
    // What happened when, as the watchdog did it: the rehearsal among the messages.
    rehearse: () => rehearsals.push(sent.length),
    pid: 4242,
  };
  const rehearsals: number[] = [];
  const exit = runWatchdog(io);
  const write = (m: unknown) => input.write(`${JSON.stringify(m)}\n`);
  /** Resolves with the first message of this kind (bounded). */
  const next = async <E extends WatchdogMessage['event']>(event: E) => {
    for (let i = 0; i < 200; i++) {
      const m = sent.find((x) => x.event === event);
      if (m) return m as Extract<WatchdogMessage, { event: E }>;
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
    }
    throw new Error(`no ${event} message; got ${JSON.stringify(sent)}`);
  };
  const freeze = (waves: string[][], timeoutMs = 30_000) =>
    write({ op: 'freeze', waves, timeoutMs, fsfreeze: BIN });
  return { input, sent, signals, exit, write, next, freeze, rehearsals, ...fake };
}

const events = (sent: WatchdogMessage[]) => sent.map((m) => m.event);
const mountsOf = (calls: Call[], action: Call['action']) =>
  calls.filter((c) => c.action === action).map((c) => c.mount);

describe('watchdog (in-process, fake fsfreeze)', () => {
  it('says it is ready with its pid, and ends with 0 when the agent leaves before any freeze', async () => {
    const w = start();
    expect(w.sent[0]).toEqual({ event: 'ready', pid: 4242, freezeWith: 'fsfreeze' });
    // Once, after "ready" (the agent waits for nothing), before any freeze can be asked.
    expect(w.rehearsals).toEqual([1]);
    w.input.end();
    expect(await w.exit).toBe(0);
    expect(w.calls).toEqual([]);
    expect(events(w.sent)).toEqual(['ready']);
  });

  it('freezes wave by wave with the fsfreeze it is given, announces each wave, thaws backwards on request', async () => {
    const w = start();
    w.freeze([['/a', '/b'], ['/c']]);
    const frozen = await w.next('frozen');
    expect(frozen.frozen).toEqual(['/a', '/b', '/c']);
    expect(BigInt(frozen.lastFreezeNs)).toBeGreaterThanOrEqual(BigInt(frozen.firstFreezeNs));
    expect(events(w.sent)).toEqual(['ready', 'wave', 'wave', 'frozen']);
    expect(w.sent.filter((m) => m.event === 'wave')).toEqual([
      { event: 'wave', index: 0 },
      { event: 'wave', index: 1 },
    ]);
    expect([...w.frozen].sort()).toEqual(['/a', '/b', '/c']);
    w.write({ op: 'thaw' });
    const thawed = await w.next('thawed');
    expect(await w.exit).toBe(0);
    expect(thawed.reason).toBe('requested');
    expect(thawed.failures).toEqual([]);
    expect(thawed.thawed).toEqual(['/c', '/a', '/b']);
    expect(BigInt(thawed.thawEndNs)).toBeGreaterThanOrEqual(BigInt(thawed.thawStartNs));
    expect(mountsOf(w.calls, 'thaw')).toEqual(['/c', '/a', '/b']);
    expect(w.calls.every((c) => c.bin === BIN)).toBe(true);
    expect(w.frozen.size).toBe(0);
  });

  it('gives each wave what is left of the deadline, and each thaw 10 s', async () => {
    const w = start({ freezeMs: { '/a': 120 } });
    w.freeze([['/a'], ['/b']], 5_000);
    await w.next('frozen');
    w.write({ op: 'thaw' });
    await w.exit;
    const [a, b] = w.calls.filter((c) => c.action === 'freeze');
    expect(a!.timeoutMs).toBeLessThanOrEqual(5_000);
    expect(a!.timeoutMs).toBeGreaterThan(4_000);
    expect(b!.timeoutMs).toBeLessThanOrEqual(5_000 - 100);
    expect(b!.timeoutMs).toBeGreaterThan(0);
    expect(w.calls.filter((c) => c.action === 'thaw').map((c) => c.timeoutMs)).toEqual([
      10_000, 10_000,
    ]);
  });

  it('ignores a line that is not JSON, an unknown op and a second freeze', async () => {
    const w = start();
    w.input.write('not json\n');
    w.write({ op: 'reboot' });
    w.freeze([['/a']]);
    await w.next('frozen');
    w.freeze([['/z']]);
    w.write({ op: 'thaw' });
    await w.exit;
    expect(w.calls.map((c) => `${c.action} ${c.mount}`)).toEqual(['freeze /a', 'thaw /a']);
    expect(w.sent.filter((m) => m.event === 'frozen')).toHaveLength(1);
  });

  it('thaws by itself at the deadline, and says so', async () => {
    const w = start();
    w.freeze([['/a']], 60);
    await w.next('frozen');
    const thawed = await w.next('thawed');
    expect(thawed.reason).toBe('deadline');
    expect(thawed.thawed).toEqual(['/a']);
    expect(await w.exit).toBe(0);
    expect(w.frozen.size).toBe(0);
  });

  it.each([
    ['the agent leaves (its pipe closes)', 'agent-gone'],
    ['a signal comes', 'signal'],
  ] as const)('thaws when %s, and no deadline thaws again', async (_, reason) => {
    const w = start();
    w.freeze([['/a', '/b']], 200);
    await w.next('frozen');
    if (reason === 'signal') w.signals.get('SIGTERM')!();
    else w.input.end();
    const thawed = await w.next('thawed');
    expect(thawed.reason).toBe(reason);
    expect(await w.exit).toBe(0);
    await new Promise((r) => setTimeout(r, 300)); // past the deadline
    expect(mountsOf(w.calls, 'thaw').sort()).toEqual(['/a', '/b']);
    expect(w.sent.filter((m) => m.event === 'thawed')).toHaveLength(1);
  });

  it('a freeze that held the thread past the deadline (an ioctl) freezes no further wave, then thaws', async () => {
    const w = start({ blockMs: { '/a': 150 } });
    w.freeze([['/a'], ['/b']], 50);
    const failed = await w.next('freeze-failed');
    expect(failed).toEqual({
      event: 'freeze-failed',
      mount: '/b',
      error: 'freeze budget spent',
      frozenBefore: ['/a'],
    });
    const thawed = await w.next('thawed');
    expect([thawed.reason, thawed.thawed]).toEqual(['deadline', ['/a']]);
    expect(mountsOf(w.calls, 'freeze')).toEqual(['/a']);
    expect(w.frozen.size).toBe(0);
    expect(await w.exit).toBe(0);
  });

  it('listens to every catchable signal that would end it', () => {
    const w = start();
    expect([...w.signals.keys()].sort()).toEqual(
      ['SIGHUP', 'SIGINT', 'SIGQUIT', 'SIGTERM', 'SIGUSR1', 'SIGUSR2'].sort(),
    );
    w.signals.get('SIGUSR2')!();
    return expect(w.exit).resolves.toBe(0);
  });

  it('a failed freeze names its mount and what froze before, then thaws exactly those', async () => {
    const w = start({ failFreeze: { '/c': 'Operation not supported' } });
    w.freeze([['/a'], ['/b', '/c'], ['/d']]);
    const failed = await w.next('freeze-failed');
    expect(failed).toEqual({
      event: 'freeze-failed',
      mount: '/c',
      error: 'Operation not supported',
      frozenBefore: ['/a', '/b'],
    });
    const thawed = await w.next('thawed');
    expect(thawed.reason).toBe('freeze-failed');
    expect(thawed.thawed).toEqual(['/b', '/a']);
    expect(mountsOf(w.calls, 'freeze')).toEqual(['/a', '/b', '/c']);
    expect(await w.exit).toBe(0);
    expect(events(w.sent)).not.toContain('frozen');
  });

  it('the first mount of a wave that fails is named with its own error', async () => {
    const w = start({ failFreeze: { '/b': 'Operation not supported' } });
    w.freeze([['/a'], ['/b', '/c']]);
    expect(await w.next('freeze-failed')).toMatchObject({
      mount: '/b',
      error: 'Operation not supported',
    });
    await w.next('thawed');
    expect(await w.exit).toBe(0);
  });

  it('a freeze cut at its timeout may still land: it is thawed too', async () => {
    const w = start({ freezeMs: { '/b': 400 } });
    w.freeze([['/a', '/b']], 100);
    const failed = await w.next('freeze-failed');
    expect(failed.mount).toBe('/b');
    expect(failed.error).toBe('timed out');
    expect(failed.frozenBefore.sort()).toEqual(['/a', '/b']);
    const thawed = await w.next('thawed');
    expect(mountsOf(w.calls, 'thaw').sort()).toEqual(['/a', '/b']);
    // The fsfreeze's timeout is what was left of the deadline: both end at the same instant.
    expect(['deadline', 'freeze-failed']).toContain(thawed.reason);
    await w.exit;
  });

  it('a thaw asked for while a wave is in flight waits for it, freezes no further wave, then thaws all', async () => {
    const w = start({ freezeMs: { '/a': 150 } });
    w.freeze([['/a'], ['/b']]);
    await w.next('wave');
    w.write({ op: 'thaw' });
    const failed = await w.next('freeze-failed');
    expect(failed).toMatchObject({
      mount: '/a',
      error: 'freeze budget spent',
      frozenBefore: ['/a'],
    });
    const thawed = await w.next('thawed');
    expect(thawed.reason).toBe('requested');
    expect(thawed.thawed).toEqual(['/a']);
    expect(mountsOf(w.calls, 'freeze')).toEqual(['/a']);
    expect(w.frozen.size).toBe(0);
    expect(await w.exit).toBe(0);
  });

  it('the first reason asked for while freezing is the one reported (not the failed freeze it causes)', async () => {
    const w = start({ freezeMs: { '/a': 150 } });
    w.freeze([['/a']]);
    await w.next('wave');
    w.signals.get('SIGINT')!();
    w.write({ op: 'thaw' });
    const thawed = await w.next('thawed');
    expect(thawed.reason).toBe('signal');
    expect(w.sent.filter((m) => m.event === 'thawed')).toHaveLength(1);
    await w.exit;
  });

  it('a thaw that fails is tried three times; a filesystem not frozen counts as thawed', async () => {
    const w = start({ thawFailures: { '/a': 2, '/b': 5 } });
    w.freeze([['/a', '/b', '/c']]);
    await w.next('frozen');
    w.frozen.delete('/c'); // someone else thawed it
    w.write({ op: 'thaw' });
    const thawed: ThawReport = await w.next('thawed');
    expect(thawed.thawed.sort()).toEqual(['/a', '/c']);
    expect(thawed.failures).toEqual([{ mount: '/b', error: '/b: Input/output error' }]);
    expect(mountsOf(w.calls, 'thaw').filter((m) => m === '/a')).toHaveLength(3);
    expect(mountsOf(w.calls, 'thaw').filter((m) => m === '/b')).toHaveLength(3);
    expect(mountsOf(w.calls, 'thaw').filter((m) => m === '/c')).toHaveLength(1);
    expect(await w.exit).toBe(1);
  });

  it('a second thaw request does not thaw twice', async () => {
    const w = start();
    w.freeze([['/a']]);
    await w.next('frozen');
    w.write({ op: 'thaw' });
    w.write({ op: 'thaw' });
    w.input.end();
    await w.exit;
    await new Promise((r) => setTimeout(r, 20));
    expect(mountsOf(w.calls, 'thaw')).toEqual(['/a']);
    expect(w.sent.filter((m) => m.event === 'thawed')).toHaveLength(1);
  });
});

describe('watchdog (in-process): edges', () => {
  it('the first mount of a wave failing is a failed freeze too', async () => {
    const w = start({ failFreeze: { '/b': 'Operation not supported' } });
    w.freeze([['/a'], ['/b', '/c'], ['/d']]);
    const failed = await w.next('freeze-failed');
    expect(failed.mount).toBe('/b');
    expect(failed.frozenBefore).toEqual(['/a', '/c']);
    await w.exit;
    expect(mountsOf(w.calls, 'freeze')).not.toContain('/d');
    expect(events(w.sent)).not.toContain('frozen');
  });

  it('an unknown op while frozen thaws nothing', async () => {
    const w = start();
    w.freeze([['/a']]);
    await w.next('frozen');
    w.write({ op: 'reboot' });
    w.input.write('{"op":\n');
    await new Promise((r) => setTimeout(r, 50));
    expect(mountsOf(w.calls, 'thaw')).toEqual([]);
    expect(w.frozen.has('/a')).toBe(true);
    w.write({ op: 'thaw' });
    expect((await w.next('thawed')).reason).toBe('requested');
  });
});
