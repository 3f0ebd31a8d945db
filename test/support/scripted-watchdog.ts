// A scripted watchdog: the test writes the watchdog's messages and reads the agent's, so each
// answer (or silence, or death) comes exactly when the case needs it. Its pid is a real
// detached sleeper, so a process-group kill (WatchdogFreezer.abandon) is real and harms
// nothing else; the sleepers are killed after each test.
import { spawn } from 'node:child_process';
import { afterEach, expect } from 'vitest';
import type { AgentMessage, WatchdogMessage } from '../../src/freeze/protocol.js';
import { LineFeed } from '../../src/system/lines.js';
import type { Helper } from '../../src/system/runner.js';

const sleepers: number[] = [];
afterEach(() => {
  for (const pid of sleepers.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

export function scripted() {
  const sleeper = spawn('sleep', ['600'], { detached: true, stdio: 'ignore' });
  sleepers.push(sleeper.pid!);
  let exit: (code: number | undefined) => void = () => undefined;
  const exited = new Promise<number | undefined>((r) => (exit = r));
  // What the agent sends, as the watchdog would read it; what the test says, as the agent would.
  const fromAgent = new LineFeed();
  const toAgent = new LineFeed();
  let ended = false;
  let drain: () => void = () => undefined;
  const drained = new Promise<void>((r) => (drain = r));
  const helper: Helper = {
    pid: sleeper.pid!,
    send: (text) => void (ended || fromAgent.push(text)),
    end: () => void (ended = true),
    onLine: (listener) => toAgent.listen(listener),
    drained,
    exited,
  };
  const received: AgentMessage[] = [];
  fromAgent.listen((line) => received.push(JSON.parse(line) as AgentMessage));
  // Delivered on a later tick, as a pipe would: never inside the agent's own call.
  const say = (m: WatchdogMessage | string) =>
    setImmediate(() => toAgent.push(`${typeof m === 'string' ? m : JSON.stringify(m)}\n`));
  const die = () => {
    setImmediate(() => {
      toAgent.end();
      drain();
      exit(137);
    });
  };
  /** Resolves once the agent has sent this many messages (bounded). */
  const sent = async (n: number) => {
    for (let i = 0; i < 300 && received.length < n; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(received.length).toBeGreaterThanOrEqual(n);
    return received[n - 1]!;
  };
  return { helper, received, say, die, sent, sleeper: sleeper.pid! };
}

/** The watchdog's "frozen" answer (times: 1000 ns). */
export const frozenMsg = (mounts: string[]): WatchdogMessage => ({
  event: 'frozen',
  frozen: mounts,
  firstFreezeNs: '1000',
  lastFreezeNs: '1000',
});

/** The watchdog's thaw report: a thaw from 2000 to 3000 ns. */
export const thawedMsg = (
  thawed: string[],
  failures: { mount: string; error: string }[] = [],
  reason: Extract<WatchdogMessage, { event: 'thawed' }>['reason'] = 'requested',
): WatchdogMessage => ({
  event: 'thawed',
  reason,
  thawStartNs: '2000',
  thawEndNs: '3000',
  thawed,
  failures,
});
