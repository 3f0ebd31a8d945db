import { createInterface } from 'node:readline';
import { AgentError } from '../report/errors.js';
import { monoNs, type Deadline } from '../system/clock.js';
import { stateDirProblem } from '../system/lock.js';
import { groupMembers, processStartTime, signalGroup } from '../system/process.js';
import type { Helper, Runner } from '../system/runner.js';
import { fsfreezeAsync } from './fsfreeze.js';
import { removeMarker, writeMarker } from './marker.js';
import type { AgentMessage, ThawReport, WatchdogMessage } from './protocol.js';
import type { Freezer, FreezeOutcome, ThawOutcome } from './types.js';

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
}

const THAW_ATTEMPTS = 3;

/**
 * Freezer that delegates freeze and thaw to the watchdog process (see watchdog.ts), and keeps
 * its own deadline: if the watchdog dies, stops (SIGSTOP) or stops answering, the agent kills
 * its process group, waits for any fsfreeze it started to end, and thaws directly.
 */
export class WatchdogFreezer implements Freezer {
  private helper: Helper | undefined;
  private waiters: ((m: WatchdogMessage) => void)[] = [];
  private report: ThawReport | undefined;
  /** Waves sent to the watchdog, and how many of them it has started freezing. */
  private waves: string[][] = [];
  private wavesStarted = 0;
  /** Confirmed frozen by us (after 'frozen'), or frozen before a failure. */
  private frozen: string[] = [];
  private outcome: ThawOutcome | undefined;
  private thawFailure: AgentError | undefined;
  private abandoning: Promise<void> | undefined;
  private cancelExpiry: (() => void) | undefined;
  private deadline: Deadline | undefined;
  private markerWritten = false;
  /** Resolves once the watchdog has exited and every line it wrote has been read. */
  private gone: Promise<void> = new Promise(() => undefined);

  constructor(private readonly o: WatchdogFreezerOptions) {}

  /** The next message matching `match`; rejects if the watchdog exits first. */
  private next(match: (m: WatchdogMessage) => boolean, what: string): Promise<WatchdogMessage> {
    return new Promise((resolve, reject) => {
      const waiter = (m: WatchdogMessage) => {
        if (!match(m)) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(m);
      };
      this.waiters.push(waiter);
      void this.gone.then(() => reject(new Error(`the watchdog exited while waiting for ${what}`)));
    });
  }

  private send(msg: AgentMessage): void {
    this.helper?.stdin.write(`${JSON.stringify(msg)}\n`);
  }

  async prepare(): Promise<void> {
    const helper =
      this.o.prespawned ?? this.o.runner.spawnHelper(this.o.command.file, this.o.command.args);
    this.helper = helper;
    helper.stdin.on('error', () => undefined);
    const drained = new Promise<void>((r) => helper.stdout.once('close', () => r()));
    this.gone = Promise.all([helper.exited, drained]).then(() => undefined);
    createInterface({ input: helper.stdout }).on('line', (line) => {
      let m: WatchdogMessage;
      try {
        m = JSON.parse(line) as WatchdogMessage;
      } catch {
        return;
      }
      if (m.event === 'thawed') this.report = m;
      if (m.event === 'wave') this.wavesStarted = Math.max(this.wavesStarted, m.index + 1);
      for (const w of [...this.waiters]) w(m);
    });
    try {
      await this.next((m) => m.event === 'ready', 'start-up');
    } catch (e) {
      throw new AgentError('FreezeFailed', 'the freeze watchdog did not start', { cause: e });
    }
  }

  async freeze(waves: readonly (readonly string[])[], deadline: Deadline): Promise<FreezeOutcome> {
    const helper = this.helper;
    if (!helper) throw new Error('prepare() first');
    if (this.o.ownsLock && !this.o.ownsLock()) {
      throw new AgentError(
        'SnapshotInProgress',
        'another run took over the lock of this one: nothing was frozen',
      );
    }
    this.writeMarker(waves.flat(), helper.pid);
    this.deadline = deadline;
    this.waves = waves.map((w) => [...w]);
    const settled = this.next((m) => m.event === 'frozen' || m.event === 'freeze-failed', 'freeze');
    settled.catch(() => undefined);
    this.send({
      op: 'freeze',
      waves: this.waves,
      timeoutMs: deadline.remainingMs(),
      fsfreeze: this.o.fsfreeze,
    });
    // The watchdog owns the deadline while freezing; if it has not answered by then (plus a
    // grace), it is stuck or stopped.
    let cancel = () => undefined as void;
    const expired = new Promise<'expired'>((r) => {
      cancel = deadline.onExpiry(() => setTimeout(() => r('expired'), this.graceMs()));
    });
    const m = await Promise.race([settled, expired]).catch(() => 'died' as const);
    cancel();
    if (m === 'expired' || m === 'died') {
      await this.abandon('watchdog-lost');
      throw new AgentError(
        'FreezeFailed',
        `the freeze watchdog ${m === 'died' ? 'died' : 'stopped answering'} while freezing; thawed ${this.outcome?.thawed.join(', ') || 'nothing'} directly`,
      );
    }
    if (m.event === 'freeze-failed') {
      // Only what was frozen before the failure is ours: a mount that failed with EBUSY was
      // frozen by someone else and stays as it is.
      this.frozen = [...m.frozenBefore];
      await this.thaw().catch(() => undefined);
      throw new AgentError('FreezeFailed', `freezing ${m.mount} failed: ${m.error}`, {
        details: { mount: m.mount, rolledBack: m.frozenBefore },
      });
    }
    if (m.event !== 'frozen') throw new Error('unreachable');
    this.frozen = m.frozen;
    // From now on the agent keeps the deadline too, and reacts at once if the watchdog dies.
    this.cancelExpiry = deadline.onExpiry(() =>
      setTimeout(() => {
        if (!this.report) void this.abandon('agent-deadline');
      }, this.graceMs()),
    );
    void this.gone.then(() => {
      if (!this.report && !this.outcome) void this.abandon('watchdog-lost');
    });
    return { frozen: m.frozen, firstFreezeNs: m.firstFreezeNs, lastFreezeNs: m.lastFreezeNs };
  }

  private graceMs(): number {
    return this.o.graceMs ?? 200;
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

  async thaw(): Promise<ThawOutcome> {
    if (this.abandoning) await this.abandoning;
    if (this.outcome) {
      if (this.thawFailure) throw this.thawFailure;
      return this.outcome;
    }
    if (!this.frozen.length) {
      // Nothing of ours is frozen (never frozen, or a failed freeze froze nothing).
      const now = monoNs();
      this.finish(
        this.report ?? { reason: 'requested', thawStartNs: now, thawEndNs: now, thawed: [] },
        [],
      );
      return this.outcome!;
    }
    let report = this.report;
    if (!report) {
      const wait = this.next((m) => m.event === 'thawed', 'thaw');
      this.send({ op: 'thaw' });
      // A live watchdog answers in milliseconds; past the deadline it is not to be waited for.
      const patience = Math.max(1000, (this.deadline?.remainingMs() ?? 0) + this.graceMs());
      report = (await Promise.race([
        wait.catch(() => undefined),
        new Promise<undefined>((r) => setTimeout(r, patience)),
      ])) as ThawReport | undefined;
    }
    if (!report) {
      await this.abandon('watchdog-lost');
      return this.thaw();
    }
    this.cancelExpiry?.();
    // What the watchdog could not thaw, the agent tries once more directly.
    const failures = await thawDirectly(this.o.fsfreeze, [report.failures.map((f) => f.mount)]);
    this.finish(
      {
        reason: report.reason,
        thawStartNs: report.thawStartNs,
        // The watchdog's own end, unless the agent had to thaw something after it.
        thawEndNs: report.failures.length ? failures.endNs : report.thawEndNs,
        thawed: [...this.frozen],
      },
      failures.failed,
    );
    return this.thaw();
  }

  /**
   * The watchdog is dead, stopped or past its deadline: kill its process group (a stopped
   * process dies on SIGKILL, so it can never wake up later and thaw someone else's freeze),
   * wait for the fsfreeze it started to end (a FIFREEZE still in flight must not land after
   * our thaw), then thaw every wave it may have started, last wave first.
   */
  private abandon(reason: 'agent-deadline' | 'watchdog-lost'): Promise<void> {
    this.abandoning ??= (async () => {
      this.cancelExpiry?.();
      const startNs = monoNs();
      const pgid = this.helper?.pid;
      if (pgid) {
        signalGroup(pgid, 'SIGKILL');
        for (let i = 0; i < 500 && groupMembers(pgid).length; i++) {
          await new Promise((r) => setTimeout(r, 20));
        }
      }
      const waves = this.frozen.length
        ? this.waves.filter((w) => w.some((m) => this.frozen.includes(m)))
        : this.waves.slice(0, this.wavesStarted);
      const r = await thawDirectly(this.o.fsfreeze, [...waves].reverse());
      this.finish(
        { reason, thawStartNs: startNs, thawEndNs: r.endNs, thawed: waves.flat() },
        r.failed,
      );
    })();
    return this.abandoning;
  }

  private finish(outcome: ThawOutcome, failed: string[]): void {
    this.outcome = outcome;
    if (failed.length) {
      this.thawFailure = new AgentError('ThawFailed', `could not thaw ${failed.join('; ')}`);
    } else if (this.markerWritten) {
      removeMarker(this.o.stateDir);
    }
  }

  async dispose(): Promise<void> {
    const helper = this.helper;
    if (!helper) return;
    if (this.frozen.length && !this.outcome) await this.thaw().catch(() => undefined);
    this.cancelExpiry?.();
    helper.stdin.end();
    await Promise.race([helper.exited, new Promise((r) => setTimeout(r, 1000))]);
    this.helper = undefined;
  }
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
