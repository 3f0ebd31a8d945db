import { AgentError } from '../errors/errors.js';
import { monoNs, type Deadline } from '../system/clock.js';
import { stateDirProblem } from '../system/lock.js';
import { groupMembers, processStartTime, signalGroup } from '../system/process.js';
import type { Helper, Runner } from '../system/runner.js';
import { fsfreezeAsync } from './fsfreeze.js';
import { removeMarker, writeMarker } from './marker.js';
import type { AgentMessage, ThawReport, WatchdogMessage } from './protocol.js';
import type { Freezer, FreezeOutcome, ThawOutcome } from './types.js';

/** The watchdog's process group, as abandon() needs it (the system's, or a test's). */
export interface ProcessGroup {
  kill(pgid: number): void;
  /** Live (not zombie) members of the group. */
  members(pgid: number): number[];
}

const systemGroup: ProcessGroup = {
  kill: (pgid) => void signalGroup(pgid, 'SIGKILL'),
  members: groupMembers,
};

export interface WatchdogFreezerOptions {
  readonly runner: Runner;
  /** How to start the watchdog: this same program with the hidden `__watchdog` command. */
  readonly command: { file: string; args: string[] };
  readonly fsfreeze: string;
  readonly stateDir: string;
  /** A watchdog already started (at launch); otherwise prepare() starts one. */
  readonly prespawned?: Helper | undefined;
  /** Whether this run still holds the lock: only the holder writes the frozen marker. */
  readonly ownsLock?: () => boolean;
  /**
   * How long past the deadline the watchdog gets to thaw by itself before the agent does
   * it directly (the two clocks start a few ms apart; the watchdog's report is better).
   */
  readonly graceMs?: number;
  /** How long a killed watchdog's group may take to die before the agent thaws anyway. */
  readonly killWaitMs?: number;
  readonly group?: ProcessGroup;
}

const THAW_ATTEMPTS = 3;

/**
 * Where the freeze is. Every path out of `frozen` goes through `ending` exactly once, whoever
 * takes it first (the run's thaw(), the deadline, the watchdog's death); the others wait for
 * that ending. A state carries only what is true in it.
 */
type State =
  | { readonly at: 'idle' }
  | { readonly at: 'freezing'; readonly waves: string[][] }
  | {
      readonly at: 'frozen';
      readonly waves: string[][];
      readonly frozen: string[];
      readonly deadline: Deadline;
      readonly unwatch: () => void;
    }
  | { readonly at: 'ending'; readonly done: Promise<void> }
  | { readonly at: 'ended'; readonly outcome: ThawOutcome; readonly failure?: AgentError };

/** What an ending found: the outcome, and the mounts that could not be thawed. */
interface Ending {
  readonly outcome: ThawOutcome;
  readonly failed: string[];
}

/**
 * Freezer that delegates freeze and thaw to the watchdog process (see watchdog.ts), and keeps
 * its own deadline: if the watchdog dies, stops (SIGSTOP) or stops answering, the agent kills
 * its process group, waits for any fsfreeze it started to end, and thaws directly.
 */
export class WatchdogFreezer implements Freezer {
  private wd: Channel | undefined;
  private state: State = { at: 'idle' };
  private markerWritten = false;
  private freezeWith: FreezeOutcome['freezeWith'] = 'fsfreeze';

  constructor(private readonly o: WatchdogFreezerOptions) {}

  async prepare(): Promise<void> {
    const helper =
      this.o.prespawned ?? this.o.runner.spawnHelper(this.o.command.file, this.o.command.args);
    this.wd = new Channel(helper);
    const ready = await this.wd.next('ready');
    if (!ready) throw new AgentError('FreezeFailed', 'the freeze watchdog did not start');
    this.freezeWith = ready.freezeWith;
  }

  async freeze(waves: readonly (readonly string[])[], deadline: Deadline): Promise<FreezeOutcome> {
    const wd = this.wd;
    if (!wd) throw new Error('prepare() first');
    if (this.o.ownsLock && !this.o.ownsLock()) {
      throw new AgentError(
        'SnapshotInProgress',
        'another run took over the lock of this one: nothing was frozen',
      );
    }
    this.writeMarker(waves.flat(), wd.pid);
    const plan = waves.map((w) => [...w]);
    this.state = { at: 'freezing', waves: plan };
    const answer = wd.next('frozen', 'freeze-failed');
    wd.send({
      op: 'freeze',
      waves: plan,
      timeoutMs: deadline.remainingMs(),
      fsfreeze: this.o.fsfreeze,
    });
    // The watchdog owns the deadline while freezing; no answer by then (plus a grace): it is
    // stuck or stopped.
    const late = pastDeadline(deadline, this.graceMs());
    const m = await Promise.race([answer, late.passed]);
    const seenNs = monoNs();
    late.cancel();
    if (!m || m === 'late') {
      // Nothing is known to be frozen: thaw every wave it may have started.
      await this.end(() => this.abandon(wd, plan.slice(0, wd.wavesStarted), 'watchdog-lost'));
      throw new AgentError(
        'FreezeFailed',
        `the freeze watchdog ${m ? 'stopped answering' : 'died'} while freezing; thawed ${this.ended().outcome.thawed.join(', ') || 'nothing'} directly`,
      );
    }
    if (m.event === 'freeze-failed') {
      // Only what was frozen before the failure is ours: a mount that failed with EBUSY was
      // frozen by someone else and stays as it is.
      await this.end(() => this.thawOurs(wd, plan, m.frozenBefore, deadline)).catch(
        () => undefined,
      );
      throw new AgentError('FreezeFailed', `freezing ${m.mount} failed: ${m.error}`, {
        details: { mount: m.mount, rolledBack: m.frozenBefore },
      });
    }
    this.state = {
      at: 'frozen',
      waves: plan,
      frozen: m.frozen,
      deadline,
      unwatch: this.watch(wd, plan, m.frozen, deadline),
    };
    return {
      frozen: m.frozen,
      firstFreezeNs: m.firstFreezeNs,
      lastFreezeNs: m.lastFreezeNs,
      seenNs,
      freezeWith: m.freezeWith ?? this.freezeWith,
    };
  }

  async thaw(): Promise<ThawOutcome> {
    const s = this.state;
    if (s.at === 'freezing') throw new Error('thaw() while freeze() is running');
    if (s.at === 'frozen')
      await this.end(() => this.thawOurs(this.wd!, s.waves, s.frozen, s.deadline));
    if (s.at === 'ending') await s.done;
    if (s.at === 'idle') await this.end(async () => ({ outcome: nothingThawed(), failed: [] }));
    const { outcome, failure } = this.ended();
    if (failure) throw failure;
    return outcome;
  }

  async dispose(): Promise<void> {
    const wd = this.wd;
    if (!wd) return;
    if (this.state.at === 'frozen' || this.state.at === 'ending')
      await this.thaw().catch(() => undefined);
    wd.close();
    await Promise.race([wd.exited, new Promise((r) => setTimeout(r, 1000))]);
    this.wd = undefined;
  }

  private graceMs(): number {
    return this.o.graceMs ?? 200;
  }

  private ended(): Extract<State, { at: 'ended' }> {
    if (this.state.at !== 'ended') throw new Error(`not ended (${this.state.at})`);
    return this.state;
  }

  /**
   * Leaves `frozen` (or `freezing`) through `run`, once: a second caller waits for the first.
   * The marker goes only when everything was thawed.
   */
  private end(run: () => Promise<Ending>): Promise<void> {
    const s = this.state;
    if (s.at === 'ending') return s.done;
    if (s.at === 'ended') return Promise.resolve();
    if (s.at === 'frozen') s.unwatch();
    const done = run().then(({ outcome, failed }) => {
      if (failed.length) {
        const failure = new AgentError('ThawFailed', `could not thaw ${failed.join('; ')}`);
        this.state = { at: 'ended', outcome, failure };
      } else {
        this.state = { at: 'ended', outcome };
        if (this.markerWritten) removeMarker(this.o.stateDir);
      }
    });
    this.state = { at: 'ending', done };
    return done;
  }

  /** While frozen the agent keeps the deadline too, and reacts at once if the watchdog dies. */
  private watch(wd: Channel, waves: string[][], frozen: string[], deadline: Deadline): () => void {
    const ours = oursIn(waves, frozen);
    const late = pastDeadline(deadline, this.graceMs());
    const lost = (reason: 'agent-deadline' | 'watchdog-lost') => {
      // A watchdog that reported its thaw is done: its report waits for thaw().
      if (!wd.report) void this.end(() => this.abandon(wd, ours, reason));
    };
    void late.passed.then(() => lost('agent-deadline'));
    void wd.gone.then(() => lost('watchdog-lost'));
    return late.cancel;
  }

  /**
   * The thaw by request: the watchdog's report (asked for unless it came by itself), then a
   * direct retry of what it could not thaw. No report by the deadline (plus the grace), or
   * the watchdog gone: abandoned.
   */
  private async thawOurs(
    wd: Channel,
    waves: string[][],
    frozen: readonly string[],
    deadline: Deadline,
  ): Promise<Ending> {
    if (!frozen.length) return { outcome: wd.report ?? nothingThawed(), failed: [] };
    let report = wd.report;
    if (!report) {
      const answer = wd.next('thawed');
      wd.send({ op: 'thaw' });
      const late = pastDeadline(deadline, this.graceMs());
      const r = await Promise.race([answer, late.passed]);
      late.cancel();
      const ours = oursIn(waves, frozen);
      if (!r) return this.abandon(wd, ours, 'watchdog-lost');
      if (r === 'late') return this.abandon(wd, ours, 'agent-deadline');
      report = r;
    }
    // What the watchdog could not thaw, the agent tries once more directly.
    const retry = await thawDirectly(this.o.fsfreeze, [report.failures.map((f) => f.mount)]);
    return {
      outcome: {
        reason: report.reason,
        thawStartNs: report.thawStartNs,
        // The watchdog's own end, unless the agent had to thaw something after it.
        thawEndNs: report.failures.length ? retry.endNs : report.thawEndNs,
        thawed: [...frozen],
      },
      failed: retry.failed,
    };
  }

  /**
   * The watchdog is dead, stopped or past its deadline: kill its process group (a stopped
   * process dies on SIGKILL, so it can never wake up later and thaw someone else's freeze),
   * wait for the fsfreeze it started to end (a FIFREEZE still in flight must not land after
   * our thaw), then thaw the waves, last wave first.
   */
  private async abandon(
    wd: Channel,
    waves: string[][],
    reason: 'agent-deadline' | 'watchdog-lost',
  ): Promise<Ending> {
    const startNs = monoNs();
    const group = this.o.group ?? systemGroup;
    group.kill(wd.pid);
    const until = performance.now() + (this.o.killWaitMs ?? 10_000);
    // Stryker disable next-line EqualityOperator: the instant of the bound itself is one poll of 20 ms
    while (group.members(wd.pid).length && performance.now() < until) {
      await new Promise((r) => setTimeout(r, 20));
    }
    const r = await thawDirectly(this.o.fsfreeze, [...waves].reverse());
    return {
      outcome: { reason, thawStartNs: startNs, thawEndNs: r.endNs, thawed: waves.flat() },
      failed: r.failed,
    };
  }

  private writeMarker(mounts: string[], watchdogPid: number): void {
    try {
      writeMarker(this.o.stateDir, {
        agentPid: process.pid,
        agentStart: processStartTime(process.pid),
        watchdogPid,
        mounts,
        fsfreeze: this.o.fsfreeze,
        createdAt: new Date().toISOString(),
      });
      this.markerWritten = true;
    } catch (e) {
      // Nothing is frozen yet: a full or read-only state directory is a clear exit 1.
      throw stateDirProblem(this.o.stateDir, 'write the frozen marker in', e);
    }
  }
}

/** The watchdog process as the agent sees it: what it said, and when it is gone. */
class Channel {
  /** Its thaw report, once it sent one (on request, or by itself at its deadline). */
  report: ThawReport | undefined;
  /** How many waves it has started freezing. */
  wavesStarted = 0;
  /** Resolves once it has exited and every line it wrote has been read. */
  readonly gone: Promise<void>;
  private readonly waiters = new Set<(m: WatchdogMessage) => void>();

  constructor(private readonly helper: Helper) {
    this.gone = Promise.all([helper.exited, helper.drained]).then(() => undefined);
    helper.onLine((line) => this.receive(line));
  }

  get pid(): number {
    return this.helper.pid;
  }

  get exited(): Promise<unknown> {
    return this.helper.exited;
  }

  send(msg: AgentMessage): void {
    this.helper.send(`${JSON.stringify(msg)}\n`);
  }

  close(): void {
    this.helper.end();
  }

  /** The next message of one of these kinds; undefined if the watchdog is gone first. */
  next<E extends WatchdogMessage['event']>(
    ...events: E[]
  ): Promise<Extract<WatchdogMessage, { event: E }> | undefined> {
    return new Promise((resolve) => {
      const waiter = (m: WatchdogMessage) => {
        if (!(events as string[]).includes(m.event)) return;
        this.waiters.delete(waiter);
        resolve(m as Extract<WatchdogMessage, { event: E }>);
      };
      this.waiters.add(waiter);
      void this.gone.then(() => resolve(undefined));
    });
  }

  private receive(line: string): void {
    let m: WatchdogMessage;
    try {
      m = JSON.parse(line) as WatchdogMessage;
    } catch {
      return; // not ours (a stray line): only the protocol's messages count
    }
    if (m.event === 'thawed') this.report = m;
    if (m.event === 'wave') this.wavesStarted = Math.max(this.wavesStarted, m.index + 1);
    for (const w of [...this.waiters]) w(m);
  }
}

/** Resolves 'late' once the deadline and the grace after it have passed. */
function pastDeadline(
  deadline: Deadline,
  graceMs: number,
): { passed: Promise<'late'>; cancel: () => void } {
  let grace: NodeJS.Timeout | undefined;
  let stop = () => undefined as void;
  const passed = new Promise<'late'>((r) => {
    stop = deadline.onExpiry(() => (grace = setTimeout(() => r('late'), graceMs)));
  });
  return { passed, cancel: () => (stop(), clearTimeout(grace)) };
}

/**
 * Our frozen mounts, in their waves: a mount of a wave that failed (EBUSY: someone else's
 * freeze) is not ours to thaw.
 */
function oursIn(waves: readonly string[][], frozen: readonly string[]): string[][] {
  return waves.map((w) => w.filter((m) => frozen.includes(m))).filter((w) => w.length > 0);
}

/** Nothing of ours was frozen (never frozen, or a failed freeze froze nothing). */
function nothingThawed(): ThawOutcome {
  const now = monoNs();
  return { reason: 'requested', thawStartNs: now, thawEndNs: now, thawed: [] };
}

/** Thaws wave by wave (in the order given), each wave in parallel, with retries. */
async function thawDirectly(
  fsfreeze: string,
  waves: readonly (readonly string[])[],
): Promise<{ failed: string[]; endNs: string }> {
  const failed: string[] = [];
  for (const wave of waves) {
    const results = await Promise.all(
      wave.map(async (mount) => {
        let last = '';
        for (let i = 0; i < THAW_ATTEMPTS; i++) {
          const r = await fsfreezeAsync(fsfreeze, 'thaw', mount, 10_000);
          if (r.ok || r.notFrozen) return undefined;
          last = r.error;
        }
        return `${mount}: ${last}`;
      }),
    );
    failed.push(...results.filter((x): x is string => x !== undefined));
  }
  return { failed, endNs: monoNs() };
}
