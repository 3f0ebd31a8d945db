// The watchdog: a separate process, started before the first freeze, that does the freezing
// and guarantees the thaw. It thaws on request, when its deadline passes, when the agent's
// pipe closes (the agent died, even by SIGKILL) and on any catchable signal. It writes no
// file and needs no thread-pool slot: only pipes, timers and child processes.
import { monoNs } from '../system/clock.js';
import { bunApi } from '../system/bun-spawn.js';
import { fdWriter } from '../system/fd-writer.js';
import { feedFromNode, feedFromWeb, LineFeed } from '../system/lines.js';
import { fsfreezeAsync } from './fsfreeze.js';
import { loadFreezeIoctl, type FreezeIoctl } from './ioctl.js';
import type { AgentMessage, FreezeRequest, ThawReport, WatchdogMessage } from './protocol.js';

const THAW_ATTEMPTS = 3;

const SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const;

/**
 * What the watchdog talks to. The process wires stdin, stdout, its signals and util-linux's
 * fsfreeze; a test wires streams and a fake fsfreeze, and drives the same code in-process.
 */
export interface WatchdogIo {
  /**
   * Gives each line the agent sends (an AgentMessage) to `onLine`, then calls `onEnd` once
   * when its pipe ends: the agent exited or was killed.
   */
  readonly readLines: (onLine: (line: string) => void, onEnd: () => void) => void;
  /** One message to the agent. Must not throw: when the agent is gone, thawing is all that matters. */
  readonly send: (msg: WatchdogMessage) => void;
  /** Calls `handler` on each catchable signal that would end the process. */
  readonly onSignal: (signal: (typeof SIGNALS)[number], handler: () => void) => void;
  /** One FIFREEZE/FITHAW, bounded by its timeout (fsfreeze.ts), or an ioctl (ioctl.ts). */
  readonly fsfreeze: typeof fsfreezeAsync;
  /** Which of the two `fsfreeze` is (so far): the agent reports it. */
  readonly freezeWith: () => 'ioctl' | 'fsfreeze';
  /** Called once after "ready": first calls of what the freeze will call, freezing nothing. */
  readonly rehearse?: () => void;
  readonly pid: number;
}

/**
 * The ioctl where this runtime has one, in fsfreezeAsync's shape; util-linux's fsfreeze
 * otherwise, and from the first ioctl the system does not have (ENOSYS) on. An ioctl blocks
 * this process until the kernel answers, as the spawned tool would have kept it waiting: the
 * deadline is checked between waves (freezeWaves).
 */
export function freezeCall(
  ioctl: FreezeIoctl | undefined,
  tool: typeof fsfreezeAsync,
): Pick<WatchdogIo, 'fsfreeze' | 'freezeWith'> {
  let useTool = !ioctl;
  return {
    fsfreeze: async (bin, action, mount, timeoutMs) => {
      if (!useTool) {
        const { unsupported, ...r } = ioctl!(action, mount);
        if (!unsupported) return { ...r, timedOut: false };
        useTool = true;
      }
      return tool(bin, action, mount, timeoutMs);
    },
    freezeWith: () => (useTool ? 'fsfreeze' : 'ioctl'),
  };
}

// Stryker disable all: the process's own wiring, run by watchdog.test.ts's real watchdog process,
// whose coverage mutation testing cannot see; the logic it feeds is tested in-process.
function processIo(): WatchdogIo {
  // Straight to the descriptor (see fdWriter): an agent that is gone is no error.
  let stream: NodeJS.WriteStream | undefined;
  const out = fdWriter(1, () => (stream ??= process.stdout.on('error', () => undefined)));
  const ioctl = loadFreezeIoctl();
  return {
    // Not node:readline over process.stdin: under Bun, those streams cost ~8 ms of the
    // watchdog's start-up, which the run waits for before its first freeze.
    readLines: (onLine, onEnd) => {
      const feed = new LineFeed();
      feed.listen(onLine);
      if (bunApi) void feedFromWeb(bunApi.stdin.stream(), feed).then(onEnd);
      else feedFromNode(process.stdin, feed, onEnd);
    },
    send: (msg) => {
      try {
        out(`${JSON.stringify(msg)}\n`);
      } catch {
        // the agent is gone; thawing is all that matters
      }
    },
    onSignal: (signal, handler) => process.on(signal, handler),
    ...freezeCall(ioctl?.ioctl, fsfreezeAsync),
    ...(ioctl ? { rehearse: ioctl.rehearse } : {}),
    pid: process.pid,
  };
}
// Stryker restore all

/** Runs until everything it froze is thawed (or nothing was frozen); resolves the exit code. */
export function runWatchdog(io: WatchdogIo = processIo()): Promise<number> {
  const w = new Watchdog(io);
  for (const sig of SIGNALS) io.onSignal(sig, () => w.stop('signal'));
  io.readLines(
    (line) => {
      let msg: AgentMessage;
      try {
        msg = JSON.parse(line) as AgentMessage;
      } catch {
        return;
      }
      if (msg.op === 'freeze') w.freeze(msg);
      else if (msg.op === 'thaw') w.stop('requested');
    },
    // EOF: the agent exited or was killed.
    () => w.stop('agent-gone'),
  );
  io.send({ event: 'ready', pid: io.pid, freezeWith: io.freezeWith() });
  // While the agent runs its scripts and quiesces: the freeze's first calls, outside the window.
  io.rehearse?.();
  return w.finished;
}

class Watchdog {
  readonly finished: Promise<number>;
  private finish: (code: number) => void = () => undefined;
  private request: FreezeRequest | undefined;
  /** Frozen (or possibly frozen) mounts, by wave. */
  private readonly frozen: string[][] = [];
  // Stryker disable next-line BooleanLiteral: before the first freeze there is no request, and stop() only ends
  private freezing = false;
  private pendingThaw: ThawReport['reason'] | undefined;
  private thawing = false;
  private deadline: NodeJS.Timeout | undefined;

  constructor(private readonly io: WatchdogIo) {
    this.finished = new Promise<number>((resolve) => (this.finish = resolve));
  }

  /** Thaw if anything may be frozen; otherwise just end. */
  stop(reason: ThawReport['reason']): void {
    if (this.request) void this.thawAll(reason);
    else this.finish(0);
  }

  freeze(req: FreezeRequest): void {
    if (!this.request) void this.freezeWaves(req);
  }

  private async freezeWaves(req: FreezeRequest): Promise<void> {
    this.request = req;
    this.freezing = true;
    const start = Date.now();
    this.deadline = setTimeout(() => void this.thawAll('deadline'), req.timeoutMs);
    let firstFreezeNs = '';
    for (const [index, wave] of req.waves.entries()) {
      const remaining = req.timeoutMs - (Date.now() - start);
      // An ioctl that held this process past the deadline kept its timer from firing.
      if (remaining <= 0) this.pendingThaw ??= 'deadline';
      if (this.pendingThaw) return this.abandonFreeze(wave[0]!, 'freeze budget spent');
      this.io.send({ event: 'wave', index });
      // The window opens with the first FIFREEZE, after the message that announces it.
      firstFreezeNs ||= monoNs();
      const results = await Promise.all(
        wave.map((m) => this.io.fsfreeze(req.fsfreeze, 'freeze', m, remaining)),
      );
      // A timed-out FIFREEZE may still take effect: count it as ours to thaw.
      this.frozen.push(wave.filter((_, i) => results[i]!.ok || results[i]!.timedOut));
      const failed = results.findIndex((r) => !r.ok);
      // No failure but a pending thaw: the thaw came mid-wave.
      if (failed >= 0 || this.pendingThaw)
        return failed >= 0
          ? this.abandonFreeze(wave[failed]!, results[failed]!.error)
          : this.abandonFreeze(wave[0]!, 'freeze budget spent');
    }
    this.freezing = false;
    this.io.send({
      event: 'frozen',
      frozen: this.frozen.flat(),
      firstFreezeNs,
      lastFreezeNs: monoNs(),
      freezeWith: this.io.freezeWith(),
    });
    if (this.pendingThaw) await this.thawAll(this.pendingThaw);
  }

  /** Ends a freeze that did not complete: says so, then thaws what this watchdog froze. */
  private async abandonFreeze(mount: string, error: string): Promise<void> {
    this.freezing = false;
    this.io.send({ event: 'freeze-failed', mount, error, frozenBefore: this.frozen.flat() });
    // A thaw asked for while the wave was in flight (the deadline, a signal) is why: say so.
    await this.thawAll(this.pendingThaw ?? 'freeze-failed');
  }

  private async thawAll(reason: ThawReport['reason']): Promise<void> {
    // While a wave is being frozen, wait for it to settle: a FIFREEZE still in flight could
    // otherwise land after its thaw.
    if (this.freezing) {
      this.pendingThaw ??= reason;
      return;
    }
    if (this.thawing) return;
    this.thawing = true;
    // Stryker disable next-line ConditionalExpression: a deadline that still fires finds `thawing` set and returns; the process exits on finish
    if (this.deadline) clearTimeout(this.deadline);
    const thawStartNs = monoNs();
    const thawed: string[] = [];
    const failures: { mount: string; error: string }[] = [];
    // Waves backwards: parents first; within a wave, in parallel.
    for (const wave of [...this.frozen].reverse()) {
      const results = await Promise.all(wave.map((m) => this.thawOne(m)));
      wave.forEach((m, i) => (results[i] ? failures.push(results[i]) : thawed.push(m)));
    }
    this.io.send({ event: 'thawed', reason, thawStartNs, thawEndNs: monoNs(), thawed, failures });
    this.finish(failures.length ? 1 : 0);
  }

  private async thawOne(mount: string): Promise<{ mount: string; error: string } | undefined> {
    // Stryker disable next-line StringLiteral: overwritten by the first failed attempt before it is read
    let last = '';
    for (let attempt = 0; attempt < THAW_ATTEMPTS; attempt++) {
      const r = await this.io.fsfreeze(this.request!.fsfreeze, 'thaw', mount, 10_000);
      if (r.ok || r.notFrozen) return undefined;
      last = r.error;
    }
    return { mount, error: last };
  }
}
