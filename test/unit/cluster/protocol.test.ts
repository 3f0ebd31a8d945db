// The cluster protocol's safety rules, with the real coordinator and real participant engines
// over real TLS on loopback (a per-run certificate from openssl); the participants' own engines
// are in-memory fakes. Each rule of the issue has its case.
import { randomBytes } from 'node:crypto';
import { connect } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCertificate, type RunCertificate } from '../../../src/cluster/cert.js';
import { Coordinator, type CoordinatorOptions } from '../../../src/cluster/coordinator.js';
import { ParticipantEngine } from '../../../src/cluster/participant.js';
import type { CreateGroupRequest } from '../../../src/engines/types.js';
import { Deadline } from '../../../src/system/clock.js';
import { systemRunner } from '../../../src/system/runner.js';
import { MemoryEngine, memoryDisks } from '../../support/fakes.js';

let cert: RunCertificate;
beforeAll(async () => {
  cert = await runCertificate(systemRunner);
});

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface World {
  coordinator: Coordinator;
  port: number;
  created: string[][];
  /** The window each group call was given (ms). */
  windows: number[];
  lines: string[];
  member(i: number, o?: { fingerprint?: string; token?: string }): ParticipantEngine;
}

async function world(n: number, over: Partial<CoordinatorOptions> = {}): Promise<World> {
  const tokens = new Map(
    Array.from({ length: n }, (_, i) => [randomBytes(16).toString('hex'), `i-${i}`]),
  );
  const created: string[][] = [];
  const windows: number[] = [];
  const lines: string[] = [];
  const coordinator = new Coordinator({
    cert: cert.cert,
    key: cert.key,
    tokens,
    prepareTimeoutMs: 3000,
    freezeTimeoutMs: 3000,
    finalTimeoutMs: 3000,
    name: 'c1',
    createGroup: (disks, _token, windowMs) => {
      created.push(disks);
      windows.push(windowMs);
      return Promise.resolve('ssg-cluster0000000001');
    },
    log: (l) => lines.push(l),
    ...over,
  });
  const port = await coordinator.listen('127.0.0.1', 0);
  const tokenList = [...tokens.keys()];
  return {
    coordinator,
    port,
    created,
    windows,
    lines,
    member: (i, o = {}) =>
      new ParticipantEngine(new MemoryEngine(memoryDisks(2)), {
        coordinator: `127.0.0.1:${port}`,
        fingerprint: o.fingerprint ?? cert.fingerprint,
        token: o.token ?? tokenList[i]!,
        prepareTimeoutMs: 3000,
      }),
  };
}

/** A participant's run result as `finish` takes it; FreezeHeld as the run found it. */
const done = (code: number, consistency: string, freezeHeld = true) => ({
  ExitCode: code,
  Consistency: consistency,
  Frozen: freezeHeld ? ['/data'] : [],
  FreezeHeld: freezeHeld,
});

const request = (disks: string[], ms = 5000): CreateGroupRequest => ({
  name: 'c1',
  description: '',
  diskIds: disks,
  instantAccess: false,
  instantAccessRetentionDays: 1,
  clientToken: 't',
  deadline: new Deadline(ms),
});

describe('cluster protocol', () => {
  it('all prepared, all frozen: one group over every disk, then every participant is told', async () => {
    const w = await world(2);
    const outcome = w.coordinator.run();
    const [a, b] = [w.member(0), w.member(1)];
    await Promise.all([a.warmUp(), b.warmUp()]);
    const [ga, gb] = await Promise.all([
      a.createGroup(request(['d-a1', 'd-a2'])),
      b.createGroup(request(['d-b1'])),
    ]);
    expect(ga.id).toBe('ssg-cluster0000000001');
    expect(gb.id).toBe(ga.id);
    expect(w.created).toEqual([expect.arrayContaining(['d-a1', 'd-a2', 'd-b1'])]);
    // The call may not outlive the shortest frozen window (5 s here) less the 1 s margin.
    expect(w.windows[0]).toBeGreaterThan(0);
    expect(w.windows[0]).toBeLessThanOrEqual(4000);
    a.finish(done(0, 'FsConsistent'));
    b.finish(done(0, 'AppConsistent'));
    const o = await outcome;
    expect(o.aborted).toBe('');
    expect(
      o.participants.map((p) => [p.instanceId, p.exitCode, p.consistency, p.heldAtPointInTime]),
    ).toEqual([
      ['i-0', 0, 'FsConsistent', true],
      ['i-1', 0, 'AppConsistent', true],
    ]);
  });

  it('a participant whose run froze nothing (EnableFsFreeze=false) is not held at the point in time, whatever its exit code and consistency word', async () => {
    const w = await world(2);
    const outcome = w.coordinator.run();
    const [a, b] = [w.member(0), w.member(1)];
    await Promise.all([a.warmUp(), b.warmUp()]);
    await Promise.all([a.createGroup(request(['d-a'])), b.createGroup(request(['d-b']))]);
    a.finish(done(0, 'AppConsistent'));
    b.finish(done(0, 'AppConsistent', false));
    const o = await outcome;
    expect(o.participants.map((p) => [p.frozen, p.heldAtPointInTime])).toEqual([
      [['/data'], true],
      [[], false],
    ]);
    expect(w.lines.join('\n')).toMatch(/i-1 done: .*the freeze did not hold/);
  });

  it('a participant that never reports its end is not held at the point in time', async () => {
    const w = await world(2, { finalTimeoutMs: 300 });
    const outcome = w.coordinator.run();
    const [a, b] = [w.member(0), w.member(1)];
    await Promise.all([a.warmUp(), b.warmUp()]);
    await Promise.all([a.createGroup(request(['d-a'])), b.createGroup(request(['d-b']))]);
    a.finish(done(0, 'FsConsistent'));
    const o = await outcome;
    expect(o.participants.map((p) => p.heldAtPointInTime)).toEqual([true, false]);
  });

  it('the coordinator killed while every participant is frozen: each stops waiting at once (thaws)', async () => {
    let release!: () => void;
    let calls = 0;
    const w = await world(2, {
      createGroup: () => (calls++, new Promise((r) => (release = () => r('ssg-never')))),
    });
    void w.coordinator.run();
    const [a, b] = [w.member(0), w.member(1)];
    await Promise.all([a.warmUp(), b.warmUp()]);
    const frozen = [
      a.createGroup(request(['d-a'], 60_000)),
      b.createGroup(request(['d-b'], 60_000)),
    ];
    await until(() => calls === 1);
    // Each participant was told the call's ClientToken before the call went out.
    const told = (p: ParticipantEngine) => (p as unknown as { call: string }).call;
    await until(() => Boolean(told(a) && told(b)));
    const t0 = performance.now();
    // The coordinator process dies: its sockets close.
    (w.coordinator as unknown as { sockets: Map<string, { destroy(): void }> }).sockets.forEach(
      (s) => s.destroy(),
    );
    // Each says why it thawed, and what the cloud may have made meanwhile.
    await Promise.all(
      frozen.map((x) =>
        expect(x).rejects.toThrow(
          /lost the cluster coordinator .*; the coordinator had sent CreateSnapshotGroup Name=c1 ClientToken=[0-9a-f-]{36}: a group may exist/,
        ),
      ),
    );
    expect(performance.now() - t0).toBeLessThan(5000); // not the 60 s deadline
    release();
  });

  it('a group call that fails: the abort, the outcome and every participant name its ClientToken (a group may exist)', async () => {
    let token = '';
    const w = await world(2, {
      createGroup: (_disks, clientToken) => {
        token = clientToken;
        return Promise.reject(new Error('Network.RequestTimeout: ReadTimeout(1940)'));
      },
    });
    const outcome = w.coordinator.run();
    const [a, b] = [w.member(0), w.member(1)];
    await Promise.all([a.warmUp(), b.warmUp()]);
    const frozen = [a.createGroup(request(['d-a'])), b.createGroup(request(['d-b']))];
    const errors = await Promise.all(
      frozen.map((x) =>
        x.then(
          () => '',
          (e: Error) => e.message,
        ),
      ),
    );
    for (const m of errors)
      expect(m).toContain(`(Name=c1 ClientToken=${token}): Network.RequestTimeout`);
    a.finish(done(4, 'None', false));
    b.finish(done(4, 'None', false));
    const o = await outcome;
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    expect(o.call?.clientToken).toBe(token);
    expect(o.groupId).toBe('');
    expect(o.aborted).toMatch(/the group call failed \(Name=c1 ClientToken=/);
  });

  it('one participant fails before it is prepared (its run ended): the others are aborted, nothing frozen', async () => {
    const w = await world(3);
    const outcome = w.coordinator.run();
    const [a, b] = [w.member(0), w.member(1)];
    const prepared = [a.warmUp(), b.warmUp()];
    await until(() => w.lines.filter((l) => / prepared$/.test(l)).length === 2);
    w.coordinator.participantEnded('i-2', 'exit 9 before it joined');
    await Promise.all(prepared.map((x) => expect(x).rejects.toThrow(/aborted: i-2: exit 9/)));
    a.finish(done(4, 'None'));
    b.finish(done(4, 'None'));
    expect((await outcome).aborted).toMatch(/i-2/);
    expect(w.created).toEqual([]);
  });

  it('a participant that joins after the abort hears it (exit 4, why), not a closed connection', async () => {
    const w = await world(2);
    const outcome = w.coordinator.run();
    w.coordinator.participantEnded('i-1', 'exit 9 before it joined');
    await until(() => w.lines.some((l) => l.startsWith('abort:')));
    const late = w.member(0);
    await expect(late.warmUp()).rejects.toMatchObject({
      exitCode: 4,
      message: expect.stringMatching(/the cluster coordinator aborted: i-1: exit 9/),
    });
    w.coordinator.participantEnded('i-0', 'exit 4');
    expect((await outcome).aborted).toMatch(/i-1/);
  });

  it('one participant killed after the freeze went out: the others are told to thaw, no group', async () => {
    const w = await world(3);
    const outcome = w.coordinator.run();
    const [a, b] = [w.member(0), w.member(1)];
    const prepared = [a.warmUp(), b.warmUp()];
    const c = connect({ host: '127.0.0.1', port: w.port, rejectUnauthorized: false });
    cleanups.push(() => c.destroy());
    await new Promise((r) => c.once('secureConnect', r));
    const token = [...(w.coordinator as unknown as { o: CoordinatorOptions }).o.tokens.keys()][2]!;
    c.write(`${JSON.stringify({ t: 'prepared', token, timeoutMs: 1000 })}\n`);
    await Promise.all(prepared); // all three prepared: freeze
    const frozen = [
      a.createGroup(request(['d-a'], 30_000)),
      b.createGroup(request(['d-b'], 30_000)),
    ];
    c.destroy(); // killed before it reported frozen
    await Promise.all(frozen.map((x) => expect(x).rejects.toThrow(/aborted: i-2 disconnected/)));
    a.finish(done(4, 'None'));
    b.finish(done(4, 'None'));
    await outcome;
    expect(w.created).toEqual([]);
  });

  it('one participant lost during the group call: the others are told to thaw; the group is not consistent', async () => {
    let release!: () => void;
    const w = await world(2, {
      createGroup: () => new Promise((r) => (release = () => r('ssg-late0000000000000'))),
    });
    const outcome = w.coordinator.run();
    const [a, b] = [w.member(0), w.member(1)];
    await Promise.all([a.warmUp(), b.warmUp()]);
    const pa = a.createGroup(request(['d-a'], 30_000));
    const pb = b.createGroup(request(['d-b'], 30_000));
    await until(() => w.created.length === 1);
    const sockets = (w.coordinator as unknown as { sockets: Map<string, { destroy(): void }> })
      .sockets;
    sockets.get('i-1')!.destroy(); // b is lost while the call is in flight
    await Promise.all([
      expect(pa).rejects.toThrow(/aborted: i-1 disconnected while frozen/),
      expect(pb).rejects.toThrow(),
    ]);
    release();
    a.finish(done(4, 'None'));
    const o = await outcome;
    expect(o.groupId).toBe('ssg-late0000000000000');
    expect(o.aborted).toMatch(/i-1/);
    expect(o.participants.map((p) => p.heldAtPointInTime)).toEqual([true, false]);
    expect(w.lines.some((l) => /created after the abort/.test(l))).toBe(true);
  });

  it('one participant never reaches frozen: abort after the freeze timeout, no group; the frozen one thaws', async () => {
    const w = await world(2, { freezeTimeoutMs: 500 });
    const outcome = w.coordinator.run();
    const [a, b] = [w.member(0), w.member(1)];
    await Promise.all([a.warmUp(), b.warmUp()]);
    await expect(a.createGroup(request(['d-a'], 30_000))).rejects.toThrow(
      /not every instance frozen in time/,
    );
    b.finish(done(11, 'None')); // b's freeze failed; its run ends and reports
    a.finish(done(4, 'None'));
    const o = await outcome;
    expect(w.created).toEqual([]);
    expect(o.groupId).toBe('');
  });

  it('a frozen report whose own deadline is about to pass: no group (never create on a dead freeze)', async () => {
    const w = await world(2);
    const outcome = w.coordinator.run();
    const [a, b] = [w.member(0), w.member(1)];
    await Promise.all([a.warmUp(), b.warmUp()]);
    const pa = a.createGroup(request(['d-a'], 30_000));
    const pb = b.createGroup(request(['d-b'], 300)); // less than the live margin left
    await expect(pa).rejects.toThrow(/no longer frozen/);
    await expect(pb).rejects.toThrow();
    a.finish(done(4, 'None'));
    b.finish(done(4, 'None'));
    await outcome;
    expect(w.created).toEqual([]);
  });

  it('late and duplicate messages change nothing: a second freeze or created is ignored; a replayed token is refused', async () => {
    const w = await world(1);
    const outcome = w.coordinator.run();
    const a = w.member(0);
    await a.warmUp();
    const g = await a.createGroup(request(['d-a']));
    // The same token again (a replay): the connection is closed without an answer.
    const replay = connect({ host: '127.0.0.1', port: w.port, rejectUnauthorized: false });
    cleanups.push(() => replay.destroy());
    await new Promise((r) => replay.once('secureConnect', r));
    replay.write(
      `${JSON.stringify({ t: 'prepared', token: (w.coordinator as unknown as { o: CoordinatorOptions }).o.tokens.keys().next().value, timeoutMs: 1 })}\n`,
    );
    await new Promise((r) => replay.once('close', r));
    // Duplicates to the participant: it is past freezing; a second createGroup is refused.
    const sockets = (
      w.coordinator as unknown as { sockets: Map<string, { write(s: string): void }> }
    ).sockets;
    for (const s of sockets.values())
      s.write('{"t":"freeze"}\n{"t":"created","groupId":"ssg-other000000000000"}\n');
    await new Promise((r) => setTimeout(r, 100));
    await expect(a.createGroup(request(['d-a']))).rejects.toThrow(/not cleared to freeze/);
    expect(g.id).toBe('ssg-cluster0000000001');
    a.finish(done(0, 'FsConsistent'));
    expect((await outcome).participants[0]!.exitCode).toBe(0);
    expect(w.created).toHaveLength(1);
  });

  it('a coordinator with another certificate is refused before a byte is sent', async () => {
    const w = await world(1, { prepareTimeoutMs: 500 });
    const outcome = w.coordinator.run();
    const other = (await runCertificate(systemRunner)).fingerprint;
    await expect(w.member(0, { fingerprint: other }).warmUp()).rejects.toThrow(
      /not the pinned one/,
    );
    expect(w.lines.filter((l) => /prepared/.test(l) && !/not every/.test(l))).toEqual([]);
    expect((await outcome).aborted).toMatch(/not every instance prepared/);
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
}

describe('participant engine: what the run checks before the freeze', () => {
  const opts = { coordinator: '127.0.0.1:1', fingerprint: 'AB', token: 't', prepareTimeoutMs: 1 };
  it("passes on where its engine writes while frozen (the instance's own engine does the work)", () => {
    const inner = new MemoryEngine(memoryDisks(1));
    inner.writes = ['/var/lib/pool'];
    expect(new ParticipantEngine(inner, opts).writesWhileFrozen()).toEqual(['/var/lib/pool']);
    // an engine without the method (its own fields only: no prototype, so none of its methods)
    const withoutIt = { ...new MemoryEngine(memoryDisks(1)) } as unknown as MemoryEngine;
    expect(withoutIt.writesWhileFrozen).toBeUndefined();
    expect(new ParticipantEngine(withoutIt, opts).writesWhileFrozen()).toEqual([]);
  });
});
