// Participant mode (-ClusterCoordinator): the run is unchanged — validate, pre-script, quiesce,
// freeze under its own watchdog and deadline, thaw, post-script, tag — but the group is the
// coordinator's. This engine wraps the instance's own (ecs) engine:
// - warmUp(), the last step before the application lock and the freeze: connect (TLS, the
//   certificate pinned by fingerprint), say `prepared`, and wait for `freeze` (or abort: then
//   nothing is frozen and the post-script runs);
// - createGroup(), called only once the freeze holds: say `frozen`, and wait for `created`
//   (the point in time is fixed: return, and the run thaws) — or `abort`, a lost connection or
//   the frozen window's deadline, each of which ends the wait at once (the run thaws);
// - describeGroup() shows this instance's snapshots only: the run waits for and tags its own.
import type { TLSSocket } from 'node:tls';
import type {
  CreateGroupRequest,
  EngineDisk,
  GroupInfo,
  RollbackResult,
  SnapshotEngine,
} from '../engines/types.js';
import { pendingGroup } from '../engines/types.js';
import { AgentError, conditionFailed } from '../errors/errors.js';
import { readLines, send, type ToParticipant } from './protocol.js';

export interface ParticipantOptions {
  /** host:port */
  readonly coordinator: string;
  /** SHA-256 of the coordinator's certificate, "AB:CD:..." (case and colons ignored). */
  readonly fingerprint: string;
  readonly token: string;
  /** How long to wait for `freeze` after `prepared` (the slowest pre-script elsewhere). */
  readonly prepareTimeoutMs: number;
  readonly connectTimeoutMs?: number;
}

type State = 'idle' | 'prepared' | 'freeze' | 'frozen' | 'created' | 'aborted' | 'lost';

export class ParticipantEngine implements SnapshotEngine {
  readonly canRollback = false;
  private socket: TLSSocket | undefined;
  private state: State = 'idle';
  private why = '';
  private waiter: (() => void) | undefined;
  private groupId = '';
  /** The coordinator's group call, once it said it is making it (`calling`). */
  private call = '';
  private ownDisks = new Set<string>();

  constructor(
    private readonly inner: SnapshotEngine,
    private readonly o: ParticipantOptions,
  ) {}

  get name(): string {
    return `${this.inner.name} (cluster participant)`;
  }

  async validate(): Promise<void> {
    if (!/^[^:\s]+:\d+$/.test(this.o.coordinator))
      throw conditionFailed(`-ClusterCoordinator must be host:port, got '${this.o.coordinator}'`);
    if (!/^([0-9A-F]{2}:?){32}$/i.test(this.o.fingerprint))
      throw conditionFailed('-ClusterFingerprint must be a SHA-256 fingerprint (64 hex digits)');
    if (!this.o.token) throw conditionFailed('participant mode needs APP_SNAPSHOT_CLUSTER_TOKEN');
    await this.inner.validate();
  }

  describeDisks(): Promise<EngineDisk[]> {
    return this.inner.describeDisks();
  }

  writesWhileFrozen(): readonly string[] {
    return this.inner.writesWhileFrozen?.() ?? [];
  }

  async afterWindow(): Promise<void> {
    await this.inner.afterWindow?.();
  }

  /** Joins, says `prepared`, and returns on `freeze` (throws on abort or loss). */
  async warmUp(): Promise<void> {
    await this.inner.warmUp?.();
    this.socket = await this.connect();
    readLines<ToParticipant>(
      this.socket,
      (m) => this.onMessage(m),
      (why) => this.onLost(why),
    );
    this.state = 'prepared';
    send(this.socket, { t: 'prepared', token: this.o.token, timeoutMs: this.o.prepareTimeoutMs });
    await this.until(['freeze'], this.o.prepareTimeoutMs, 'the coordinator did not say freeze');
  }

  /** Frozen now: report it and wait for the group (or anything that means thaw now). */
  async createGroup(req: CreateGroupRequest): Promise<GroupInfo> {
    if (this.state !== 'freeze') throw this.failure(`not cleared to freeze (${this.state})`);
    this.ownDisks = new Set(req.diskIds);
    this.state = 'frozen';
    const remainingMs = req.deadline?.remainingMs() ?? 30_000;
    send(this.socket!, { t: 'frozen', remainingMs, disks: [...req.diskIds] });
    await this.until(['created'], remainingMs, 'no group before the frozen window ended');
    return pendingGroup(this.groupId, req);
  }

  /** The cluster group as this instance sees it: its own disks' snapshots. */
  async describeGroup(groupId: string): Promise<GroupInfo> {
    const g = await this.inner.describeGroup(groupId);
    return { ...g, snapshots: g.snapshots.filter((s) => this.ownDisks.has(s.diskId)) };
  }

  tagSnapshots(ids: readonly string[], tags: Readonly<Record<string, string>>): Promise<void> {
    return this.inner.tagSnapshots(ids, tags);
  }

  setRetention(ids: readonly string[], days: number): Promise<void> {
    return this.inner.setRetention(ids, days);
  }

  listGroups(): Promise<GroupInfo[]> {
    return this.inner.listGroups();
  }

  /** Never asked: this wrapper's createGroup does not throw GroupCallUnanswered. */
  findGroup(req: CreateGroupRequest, since: Date): Promise<GroupInfo | undefined> {
    return this.inner.findGroup(req, since);
  }

  deleteGroup(groupId: string): Promise<void> {
    return this.inner.deleteGroup(groupId);
  }

  rollbackGroup(
    groupId: string,
    options?: { diskIds?: readonly string[] },
  ): Promise<RollbackResult> {
    return this.inner.rollbackGroup(groupId, options);
  }

  /** The run's outcome for the coordinator; then the connection ends. */
  finish(r: {
    ExitCode: number;
    Consistency: string;
    Frozen: readonly string[];
    FreezeHeld: boolean;
  }): void {
    if (!this.socket) return;
    send(this.socket, {
      t: 'done',
      exitCode: r.ExitCode,
      consistency: r.Consistency,
      frozen: [...r.Frozen],
      freezeHeld: r.FreezeHeld,
    });
    this.socket.end();
  }

  /** Only the message the current state expects counts; late and duplicate ones do nothing. */
  private onMessage(m: ToParticipant): void {
    if (m.t === 'calling' && this.state === 'frozen') {
      // Nothing changes: should the coordinator vanish now, the failure names the call.
      this.call = `CreateSnapshotGroup Name=${String(m.name).slice(0, 128)} ClientToken=${String(m.clientToken).slice(0, 64)}`;
      return;
    }
    if (m.t === 'abort' && (this.state === 'prepared' || this.state === 'frozen')) {
      this.why = `the cluster coordinator aborted: ${String(m.why).slice(0, 200)}`;
      this.state = 'aborted';
    } else if (m.t === 'freeze' && this.state === 'prepared') this.state = 'freeze';
    else if (m.t === 'created' && this.state === 'frozen' && /^ssg-[0-9a-z]+$/.test(m.groupId)) {
      this.groupId = m.groupId;
      this.state = 'created';
    } else return;
    this.waiter?.();
  }

  private onLost(why: string): void {
    if (this.state === 'created' || this.state === 'aborted' || this.state === 'idle') return;
    this.why = `lost the cluster coordinator (${why})`;
    this.state = 'lost';
    this.waiter?.();
  }

  /** Resolves when the state becomes one of `wanted`; throws on abort, loss or timeout. */
  private until(wanted: State[], timeoutMs: number, timeoutWhy: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (wanted.includes(this.state)) return (done(), resolve());
        if (this.state === 'aborted' || this.state === 'lost')
          return (done(), reject(this.failure(this.why)));
      };
      const timer = setTimeout(
        () => {
          this.state = 'lost';
          this.why = timeoutWhy;
          this.socket?.destroy();
          check();
        },
        Math.max(1, timeoutMs),
      );
      const done = () => {
        clearTimeout(timer);
        this.waiter = undefined;
      };
      this.waiter = check;
      check();
    });
  }

  private failure(why: string): AgentError {
    return new AgentError(
      'CreateGroupFailed',
      this.call ? `${why}; the coordinator had sent ${this.call}: a group may exist` : why,
    );
  }

  /** TLS to the coordinator; refused unless its certificate has the pinned fingerprint. */
  private async connect(): Promise<TLSSocket> {
    // Loaded here: every snapshot run builds this module, few are cluster participants, and
    // node:tls costs start-up (~2 ms under Bun) on the way to the first freeze.
    const { connect } = await import('node:tls');
    const [host, port] = [
      this.o.coordinator.replace(/:\d+$/, ''),
      Number(/:(\d+)$/.exec(this.o.coordinator)![1]),
    ];
    const want = this.o.fingerprint.replace(/:/g, '').toUpperCase();
    return new Promise((resolve, reject) => {
      // The certificate is self-signed for this run: trust comes from the pinned fingerprint.
      const socket = connect({
        host,
        port,
        rejectUnauthorized: false,
        timeout: this.o.connectTimeoutMs ?? 10_000,
      });
      const fail = (why: string) => {
        socket.destroy();
        reject(
          conditionFailed(`cannot join the cluster coordinator ${this.o.coordinator}: ${why}`),
        );
      };
      socket.once('secureConnect', () => {
        const got = (socket.getPeerCertificate().fingerprint256 ?? '')
          .replace(/:/g, '')
          .toUpperCase();
        if (got !== want) return fail('its certificate is not the pinned one');
        socket.setTimeout(0);
        resolve(socket);
      });
      socket.once('timeout', () => fail('timed out'));
      socket.once('error', (e) => fail(e.message));
    });
  }
}
