// The coordinator's side of the cluster protocol (protocol.ts): a TLS server with this run's
// certificate, one connection per participant, authenticated by its per-instance token.
// Phases: every participant `prepared` -> `freeze` to all at once -> every participant
// `frozen` -> one CreateSnapshotGroup over all their disks -> `created` to all at once (they
// thaw) -> every `done`. Any failure before the group — a participant that fails, disconnects,
// or is not there in time — is `abort` to all. The safety rule that matters most: the group is
// created only if, at that moment, every participant's `frozen` is live (its connection open,
// its own deadline not about to pass).
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { readLines, send, type ToCoordinator, type ToParticipant } from './protocol.js';

/** Margin kept before a participant's own deadline: a group call must fit before it. */
export const LIVE_MARGIN_MS = 1000;

export interface CoordinatorOptions {
  readonly cert: string;
  readonly key: string;
  /** token -> instance id: who may join. */
  readonly tokens: ReadonlyMap<string, string>;
  /** Every participant `prepared` within this, or abort. */
  readonly prepareTimeoutMs: number;
  /** After `freeze`: every participant `frozen` within this, or abort. */
  readonly freezeTimeoutMs: number;
  /** After the thaw (or abort): every participant's `done` within this (it waits and tags). */
  readonly finalTimeoutMs: number;
  /** The group's name (the run's -Name): told to the participants before the call. */
  readonly name: string;
  /**
   * One group of these disks, idempotent per clientToken; resolves its id (the point in time).
   * `windowMs`: what is left of the shortest frozen window (less the margin): no attempt of the
   * call may outlive it, as no attempt of an agent's own call outlives its deadline.
   */
  readonly createGroup: (disks: string[], clientToken: string, windowMs: number) => Promise<string>;
  readonly log: (line: string) => void;
  readonly now?: () => number;
}

export interface ParticipantReport {
  readonly instanceId: string;
  state: 'waiting' | 'prepared' | 'frozen' | 'done' | 'gone';
  disks: string[];
  /** When its frozen window ends by its own deadline (coordinator clock). */
  frozenUntil: number;
  exitCode: number | null;
  consistency: string;
  /** The mount points it says it froze (its `done`). */
  frozen: string[];
  /**
   * Its `frozen` was live when the group was created, and its own report (`done`) says its
   * filesystems were frozen across the point in time: never from an exit code alone.
   */
  heldAtPointInTime: boolean;
}

export interface ClusterOutcome {
  readonly groupId: string;
  readonly aborted: string;
  readonly participants: ParticipantReport[];
  /** The group call, when one was sent (its ClientToken, and when): a group may exist. */
  readonly call?: { readonly clientToken: string; readonly sentAt: number };
}

export class Coordinator {
  private server: Server | undefined;
  private readonly sockets = new Map<string, TLSSocket>();
  readonly participants = new Map<string, ParticipantReport>();
  private phase: 'prepare' | 'freeze' | 'group' | 'thawed' | 'aborted' = 'prepare';
  private abortWhy = '';
  private groupId = '';
  private clientToken = '';
  private calledAt = 0;
  private wake: (() => void) | undefined;
  private readonly now: () => number;

  constructor(private readonly o: CoordinatorOptions) {
    this.now = o.now ?? Date.now;
    for (const id of o.tokens.values())
      this.participants.set(id, {
        instanceId: id,
        state: 'waiting',
        disks: [],
        frozenUntil: 0,
        exitCode: null,
        consistency: 'None',
        frozen: [],
        heldAtPointInTime: false,
      });
  }

  async listen(host: string, port: number): Promise<number> {
    this.server = createServer({ cert: this.o.cert, key: this.o.key }, (s) => this.accept(s));
    await new Promise<void>((r) => this.server!.listen(port, host, r));
    return (this.server.address() as AddressInfo).port;
  }

  /** A participant's run ended without it reporting (its invocation failed): abort if early. */
  participantEnded(instanceId: string, why: string): void {
    const p = this.participants.get(instanceId);
    if (!p || p.state === 'done') return;
    p.state = 'gone';
    this.abort(`${instanceId}: ${why}`);
    this.wake?.();
  }

  /** Runs the protocol to its end; never throws (failures are the outcome's `aborted`). */
  async run(): Promise<ClusterOutcome> {
    const all = () => [...this.participants.values()];
    const aborted = () => this.phase === 'aborted';
    if (
      !(await this.waitFor(
        () => aborted() || all().every((p) => p.state === 'prepared'),
        this.o.prepareTimeoutMs,
      ))
    )
      this.abort('not every instance prepared in time');
    if (!aborted()) {
      this.phase = 'freeze';
      this.o.log(`all ${all().length} prepared: freeze`);
      this.broadcast({ t: 'freeze' });
      if (
        !(await this.waitFor(
          () => aborted() || all().every((p) => p.state === 'frozen'),
          this.o.freezeTimeoutMs,
        ))
      )
        this.abort('not every instance frozen in time');
    }
    if (!aborted()) await this.pointInTime();
    await this.waitFor(() => this.settled(), this.o.finalTimeoutMs);
    this.server?.close();
    for (const s of this.sockets.values()) s.destroy();
    // An instance that never said `done` never said its freeze held.
    for (const p of all()) if (p.state !== 'done') p.heldAtPointInTime = false;
    return {
      groupId: this.groupId,
      aborted: this.abortWhy,
      participants: all(),
      ...(this.clientToken
        ? { call: { clientToken: this.clientToken, sentAt: this.calledAt } }
        : {}),
    };
  }

  /** The group, only if every `frozen` is live now; then `created` (thaw) to all at once. */
  private async pointInTime(): Promise<void> {
    this.phase = 'group';
    const now = this.now();
    const dead = [...this.participants.values()].find(
      (p) =>
        p.state !== 'frozen' ||
        !this.sockets.get(p.instanceId) ||
        p.frozenUntil - LIVE_MARGIN_MS <= now,
    );
    if (dead) return this.abort(`${dead.instanceId} is no longer frozen (or about to thaw)`);
    for (const p of this.participants.values()) p.heldAtPointInTime = true;
    this.clientToken = randomUUID();
    this.calledAt = Date.now();
    this.broadcast({ t: 'calling', name: this.o.name, clientToken: this.clientToken });
    this.o.log(
      `all frozen: CreateSnapshotGroup Name=${this.o.name} ClientToken=${this.clientToken}`,
    );
    try {
      const all = [...this.participants.values()];
      this.groupId = await this.o.createGroup(
        all.flatMap((p) => p.disks),
        this.clientToken,
        Math.min(...all.map((p) => p.frozenUntil)) - LIVE_MARGIN_MS - this.now(),
      );
    } catch (e) {
      for (const p of this.participants.values()) p.heldAtPointInTime = false;
      return this.abort(
        `the group call failed (Name=${this.o.name} ClientToken=${this.clientToken}): ${(e as Error).message}`,
      );
    }
    // Still frozen when the call returned? A participant that left or whose deadline passed
    // meanwhile may have thawed before the point in time: its part is not consistent.
    const after = this.now();
    for (const p of this.participants.values())
      if (p.state !== 'frozen' || p.frozenUntil <= after) p.heldAtPointInTime = false;
    // (The phase may have changed while the call was in flight: an abort.)
    if ((this.phase as string) === 'aborted') {
      // Someone left during the call: everyone was told to thaw already; the group exists
      // (the call was made) but is not cluster-consistent, and `created` is not sent.
      this.o.log(`group ${this.groupId} was created after the abort: not cluster-consistent`);
      return;
    }
    this.phase = 'thawed';
    this.o.log(`group ${this.groupId}: thaw`);
    this.broadcast({ t: 'created', groupId: this.groupId });
  }

  private abort(why: string): void {
    if (this.phase === 'thawed' || this.phase === 'aborted') return;
    this.phase = 'aborted';
    this.abortWhy = why;
    this.o.log(`abort: ${why}`);
    this.broadcast({ t: 'abort', why });
  }

  private broadcast(m: ToParticipant): void {
    for (const s of this.sockets.values()) send(s, m);
  }

  private accept(socket: TLSSocket): void {
    let who: ParticipantReport | undefined;
    readLines<ToCoordinator>(
      socket,
      (m) => {
        if (!who) {
          const id = m.t === 'prepared' ? this.o.tokens.get(String(m.token)) : undefined;
          const p = id ? this.participants.get(id) : undefined;
          // A participant that comes after an abort hears it, so that its run says why.
          if (p?.state === 'waiting' && this.phase === 'aborted') {
            send(socket, { t: 'abort', why: this.abortWhy });
            p.state = 'gone';
            this.wake?.();
            return void socket.end();
          }
          if (!p || p.state !== 'waiting' || this.phase !== 'prepare') return socket.destroy(); // unknown, replayed or late
          who = p;
          this.sockets.set(p.instanceId, socket);
          p.state = 'prepared';
          this.o.log(`${p.instanceId} prepared`);
        } else this.onMessage(who, m);
        this.wake?.();
      },
      () => {
        if (!who) return;
        this.sockets.delete(who.instanceId);
        if (who.state !== 'done') {
          const wasFrozen = who.state === 'frozen';
          who.state = 'gone';
          if (this.phase !== 'thawed')
            this.abort(`${who.instanceId} disconnected${wasFrozen ? ' while frozen' : ''}`);
        }
        this.wake?.();
      },
    );
  }

  private onMessage(p: ParticipantReport, m: ToCoordinator): void {
    if (m.t === 'frozen' && p.state === 'prepared' && this.phase === 'freeze') {
      p.state = 'frozen';
      p.disks = (Array.isArray(m.disks) ? m.disks : []).map(String);
      p.frozenUntil = this.now() + Math.max(0, Number(m.remainingMs) || 0);
      this.o.log(`${p.instanceId} frozen (${p.disks.length} disk(s))`);
    } else if (m.t === 'done' && p.state !== 'gone') {
      p.state = 'done';
      p.exitCode = Number.isInteger(m.exitCode) ? m.exitCode : null;
      p.consistency = String(m.consistency);
      p.frozen = (Array.isArray(m.frozen) ? m.frozen : []).map(String);
      // Live at the group call is not enough: the instance itself must say its freeze held.
      if (m.freezeHeld !== true) p.heldAtPointInTime = false;
      this.o.log(
        `${p.instanceId} done: exit ${p.exitCode} ${p.consistency}, froze ${p.frozen.length} filesystem(s)${m.freezeHeld === true ? '' : ', the freeze did not hold across the point in time'}`,
      );
    }
  }

  /** Resolves true once `cond` holds (checked on every event), false after `timeoutMs`. */
  private waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
      const finish = (ok: boolean) => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(ok);
      };
      const timer = setTimeout(() => finish(cond()), timeoutMs);
      this.wake = () => cond() && finish(true);
      this.wake();
    });
  }

  /** Nothing more will come: every participant reported, left, or (after an abort) never came. */
  /**
   * Every participant has reported its end, or is gone. One that has not joined yet is waited
   * for even after an abort (bounded by finalTimeoutMs): when it comes, it hears the abort.
   */
  private settled(): boolean {
    return [...this.participants.values()].every((p) => p.state === 'done' || p.state === 'gone');
  }
}
