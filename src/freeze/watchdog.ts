// The watchdog: a separate process, started before the first freeze, that does the freezing
// and guarantees the thaw. It thaws on request, when its deadline passes, when the agent's
// pipe closes (the agent died, even by SIGKILL) and on any catchable signal. It writes no
// file and needs no thread-pool slot: only pipes, timers and child processes.
import { createInterface } from 'node:readline';
import { fsfreezeAsync } from './fsfreeze.js';
import { monoNs } from '../system/clock.js';
import {
  type AgentMessage,
  type FreezeRequest,
  type ThawReport,
  type WatchdogMessage,
} from './protocol.js';

const THAW_ATTEMPTS = 3;

function send(msg: WatchdogMessage): void {
  try {
    process.stdout.write(`${JSON.stringify(msg)}\n`);
  } catch {
    // the agent is gone; thawing is all that matters
  }
}

/** Runs until everything it froze is thawed (or nothing was frozen); resolves the exit code. */
export function runWatchdog(): Promise<number> {
  let finish: (code: number) => void = () => undefined;
  const finished = new Promise<number>((resolve) => (finish = resolve));
  let request: FreezeRequest | undefined;
  /** Frozen (or possibly frozen) mounts, by wave. */
  const frozen: string[][] = [];
  let freezing = false;
  let pendingThaw: ThawReport['reason'] | undefined;
  let thawing = false;
  let deadline: NodeJS.Timeout | undefined;

  const thawOne = async (mount: string) => {
    let last = '';
    for (let attempt = 0; attempt < THAW_ATTEMPTS; attempt++) {
      const r = await fsfreezeAsync(request!.fsfreeze, 'thaw', mount, 10_000);
      if (r.ok || r.notFrozen) return undefined;
      last = r.error;
    }
    return { mount, error: last };
  };

  const thawAll = async (reason: ThawReport['reason']): Promise<void> => {
    // While a wave is being frozen, wait for it to settle: a FIFREEZE still in flight could
    // otherwise land after its thaw.
    if (freezing) {
      pendingThaw ??= reason;
      return;
    }
    if (thawing) return;
    thawing = true;
    if (deadline) clearTimeout(deadline);
    const thawStartNs = monoNs();
    const thawed: string[] = [];
    const failures: { mount: string; error: string }[] = [];
    // Waves backwards: parents first; within a wave, in parallel.
    for (const wave of [...frozen].reverse()) {
      const results = await Promise.all(wave.map(thawOne));
      wave.forEach((m, i) => (results[i] ? failures.push(results[i]) : thawed.push(m)));
    }
    send({ event: 'thawed', reason, thawStartNs, thawEndNs: monoNs(), thawed, failures });
    finish(failures.length ? 1 : 0);
  };

  const freeze = async (req: FreezeRequest): Promise<void> => {
    request = req;
    freezing = true;
    const start = Date.now();
    deadline = setTimeout(() => void thawAll('deadline'), req.timeoutMs);
    const firstFreezeNs = monoNs();
    for (const [index, wave] of req.waves.entries()) {
      send({ event: 'wave', index });
      const remaining = req.timeoutMs - (Date.now() - start);
      const results = await Promise.all(
        wave.map((m) => fsfreezeAsync(req.fsfreeze, 'freeze', m, remaining)),
      );
      frozen.push(wave.filter((_, i) => results[i]!.ok || results[i]!.timedOut));
      const failed = results.findIndex((r) => !r.ok);
      if (failed >= 0 || pendingThaw) {
        freezing = false;
        const mount = failed >= 0 ? wave[failed]! : wave[0]!;
        const error = failed >= 0 ? results[failed]!.error : 'freeze budget spent';
        send({ event: 'freeze-failed', mount, error, frozenBefore: frozen.flat() });
        await thawAll('freeze-failed');
        return;
      }
    }
    freezing = false;
    send({ event: 'frozen', frozen: frozen.flat(), firstFreezeNs, lastFreezeNs: monoNs() });
    if (pendingThaw) await thawAll(pendingThaw);
  };

  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const) {
    process.on(sig, () => (request ? void thawAll('signal') : finish(0)));
  }
  process.stdout.on('error', () => undefined);
  const lines = createInterface({ input: process.stdin });
  lines.on('line', (line) => {
    let msg: AgentMessage;
    try {
      msg = JSON.parse(line) as AgentMessage;
    } catch {
      return;
    }
    if (msg.op === 'freeze' && !request) void freeze(msg);
    else if (msg.op === 'thaw') request ? void thawAll('requested') : finish(0);
  });
  // EOF: the agent exited or was killed.
  lines.on('close', () => (request ? void thawAll('agent-gone') : finish(0)));
  send({ event: 'ready', pid: process.pid });
  return finished;
}
