// The watchdog: a separate process, started before the first freeze, that does the freezing
// and guarantees the thaw. It thaws on request, when its deadline passes, when the agent's
// pipe closes (the agent died, even by SIGKILL) and on any catchable signal. It writes no
// file and needs no thread-pool slot: only pipes, timers and spawnSync.
import { createInterface } from 'node:readline';
import { fsfreezeSync } from './fsfreeze.js';
import {
  monoNs,
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

export function runWatchdog(): void {
  let request: FreezeRequest | undefined;
  let frozen: string[] = [];
  let done = false;
  let deadline: NodeJS.Timeout | undefined;

  const thawAll = (reason: ThawReport['reason']): void => {
    if (done) return;
    done = true;
    if (deadline) clearTimeout(deadline);
    const thawStartNs = monoNs();
    const thawed: string[] = [];
    const failures: { mount: string; error: string }[] = [];
    // Reverse of the freeze order: parents first.
    for (const mount of [...frozen].reverse()) {
      let last = '';
      let ok = false;
      for (let attempt = 0; attempt < THAW_ATTEMPTS && !ok; attempt++) {
        const r = fsfreezeSync(request!.fsfreeze, 'thaw', mount, 10_000);
        ok = r.ok || r.notFrozen;
        last = r.error;
      }
      if (ok) thawed.push(mount);
      else failures.push({ mount, error: last });
    }
    send({ event: 'thawed', reason, thawStartNs, thawEndNs: monoNs(), thawed, failures });
    process.exitCode = failures.length ? 1 : 0;
    // Let the last line drain, then go.
    setTimeout(() => process.exit(), 50).unref();
  };

  const freeze = (req: FreezeRequest): void => {
    request = req;
    const start = Date.now();
    deadline = setTimeout(() => thawAll('deadline'), req.timeoutMs);
    let firstFreezeNs = '';
    for (const mount of req.mounts) {
      const remaining = req.timeoutMs - (Date.now() - start);
      // A freeze that timed out may still have taken effect: count it as frozen so it is thawed.
      frozen.push(mount);
      firstFreezeNs ||= monoNs();
      const r = remaining > 0 ? fsfreezeSync(req.fsfreeze, 'freeze', mount, remaining) : undefined;
      if (!r?.ok) {
        if (r && !/timed out|ETIMEDOUT|SIGKILL/.test(r.error)) frozen.pop();
        const frozenBefore = frozen.filter((m) => m !== mount);
        send({
          event: 'freeze-failed',
          mount,
          error: r?.error ?? 'freeze budget spent',
          frozenBefore,
        });
        thawAll('freeze-failed');
        return;
      }
    }
    send({ event: 'frozen', frozen: [...frozen], firstFreezeNs, lastFreezeNs: monoNs() });
  };

  for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2'] as const) {
    process.on(sig, () => (request ? thawAll('signal') : process.exit(0)));
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
    if (msg.op === 'freeze' && !request) freeze(msg);
    else if (msg.op === 'thaw') request ? thawAll('requested') : process.exit(0);
  });
  // EOF: the agent exited or was killed.
  lines.on('close', () => (request ? thawAll('agent-gone') : process.exit(0)));
  send({ event: 'ready', pid: process.pid });
}
