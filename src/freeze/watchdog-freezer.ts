import { createInterface } from 'node:readline';
import { AgentError } from '../report/errors.js';
import { processStartTime } from '../system/lock.js';
import type { Helper, Runner } from '../system/runner.js';
import { fsfreezeSync } from './fsfreeze.js';
import { removeMarker, writeMarker } from './marker.js';
import { monoNs, type AgentMessage, type ThawReport, type WatchdogMessage } from './protocol.js';
import type { Freezer, FreezeOutcome, ThawOutcome } from './types.js';

export interface WatchdogFreezerOptions {
  readonly runner: Runner;
  /** How to start the watchdog: this same program with the hidden `__watchdog` command. */
  readonly command: { file: string; args: string[] };
  readonly fsfreeze: string;
  readonly stateDir: string;
  /** A watchdog already started (at launch); otherwise prepare() starts one. */
  readonly prespawned?: Helper | undefined;
}

/** Freezer that delegates freeze and thaw to the watchdog process (see watchdog.ts). */
export class WatchdogFreezer implements Freezer {
  private helper: Helper | undefined;
  private waiters: ((m: WatchdogMessage) => void)[] = [];
  private thawReport: ThawReport | undefined;
  private frozen: string[] = [];
  private thawed = false;

  constructor(private readonly o: WatchdogFreezerOptions) {}

  private next(match: (m: WatchdogMessage) => boolean, what: string): Promise<WatchdogMessage> {
    return new Promise((resolve, reject) => {
      const waiter = (m: WatchdogMessage) => {
        if (!match(m)) return;
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(m);
      };
      this.waiters.push(waiter);
      void this.helper?.exited.then(() =>
        setTimeout(() => reject(new Error(`watchdog exited while waiting for ${what}`)), 20),
      );
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
    createInterface({ input: helper.stdout }).on('line', (line) => {
      let m: WatchdogMessage;
      try {
        m = JSON.parse(line) as WatchdogMessage;
      } catch {
        return;
      }
      if (m.event === 'thawed') this.thawReport = m;
      for (const w of [...this.waiters]) w(m);
    });
    try {
      await this.next((m) => m.event === 'ready', 'start-up');
    } catch (e) {
      throw new AgentError('FreezeFailed', 'the freeze watchdog did not start', { cause: e });
    }
  }

  async freeze(waves: readonly (readonly string[])[], timeoutMs: number): Promise<FreezeOutcome> {
    if (!this.helper) throw new Error('prepare() first');
    const mounts = waves.flat();
    writeMarker(this.o.stateDir, {
      agentPid: process.pid,
      agentStart: processStartTime(process.pid),
      watchdogPid: this.helper.pid,
      mounts,
      fsfreeze: this.o.fsfreeze,
      createdAt: new Date().toISOString(),
    });
    const result = this.next((m) => m.event === 'frozen' || m.event === 'freeze-failed', 'freeze');
    this.send({
      op: 'freeze',
      waves: waves.map((w) => [...w]),
      timeoutMs,
      fsfreeze: this.o.fsfreeze,
    });
    const m = await result.catch((e: unknown) => {
      throw new AgentError('FreezeFailed', `freeze watchdog failed: ${String(e)}`);
    });
    if (m.event === 'freeze-failed') {
      this.frozen = [...new Set([...m.frozenBefore, m.mount])];
      await this.thaw().catch(() => undefined);
      throw new AgentError('FreezeFailed', `freezing ${m.mount} failed: ${m.error}`, {
        details: { mount: m.mount, rolledBack: m.frozenBefore },
      });
    }
    if (m.event !== 'frozen') throw new Error('unreachable');
    this.frozen = m.frozen;
    return { frozen: m.frozen, firstFreezeNs: m.firstFreezeNs, lastFreezeNs: m.lastFreezeNs };
  }

  async thaw(): Promise<ThawOutcome> {
    if (this.thawed || !this.frozen.length) {
      this.thawed = true;
      const now = monoNs();
      return (
        this.thawReport ?? { reason: 'requested', thawStartNs: now, thawEndNs: now, thawed: [] }
      );
    }
    let report = this.thawReport;
    if (!report) {
      const wait = this.next((m) => m.event === 'thawed', 'thaw');
      this.send({ op: 'thaw' });
      report = (await Promise.race([
        wait.catch(() => undefined),
        new Promise<undefined>((r) => setTimeout(r, 15_000)),
      ])) as ThawReport | undefined;
    }
    const leftover = report ? report.failures.map((f) => f.mount) : [...this.frozen].reverse();
    const start = report?.thawStartNs ?? monoNs();
    // The watchdog failed or vanished: thaw directly, a last time, before giving up.
    const failures: string[] = [];
    for (const mount of leftover) {
      const r = fsfreezeSync(this.o.fsfreeze, 'thaw', mount, 10_000);
      if (!r.ok && !r.notFrozen) failures.push(`${mount}: ${r.error}`);
    }
    if (failures.length) {
      throw new AgentError('ThawFailed', `could not thaw ${failures.join('; ')}`);
    }
    this.thawed = true;
    removeMarker(this.o.stateDir);
    return {
      reason: report ? report.reason : 'direct',
      thawStartNs: start,
      thawEndNs: monoNs(),
      thawed: [...this.frozen],
    };
  }

  async dispose(): Promise<void> {
    if (!this.helper) return;
    if (this.frozen.length && !this.thawed) await this.thaw().catch(() => undefined);
    this.helper.stdin.end();
    await Promise.race([this.helper.exited, new Promise((r) => setTimeout(r, 1000))]);
    this.helper = undefined;
  }
}
