// The guest's Cloud Assistant: the service that, like the real agent (aliyun-service), asks
// the cloud for commands, runs each with `sh -c` (RunShellScript), streams the output back and
// reports the exit code. It polls the emulator's guest channel (tools/emulator/guest-commands.ts)
// at the metadata address, which QEMU forwards to the host (guestfwd). A command runs in its
// own process group: its timeout SIGKILLs the shell alone (as Cloud Assistant does), a stop
// request SIGTERMs the group (as StopInvocation does in the emulator's other instances).
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:os';
import { GUEST_CHANNEL, type GuestCommand, type GuestPoll } from '../emulator/guest-protocol.js';

const BASE = `${process.env.ASP_ASSISTANT_URL ?? 'http://100.100.100.200'}${GUEST_CHANNEL}`;
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const running = new Map<string, ChildProcess>();

async function post(path: string, body?: Buffer): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const r = await fetch(`${BASE}${path}`, { method: 'POST', body: new Uint8Array(body ?? []) });
      if (r.ok) return;
      throw new Error(`HTTP ${r.status}`);
    } catch (e) {
      if (attempt >= 20) throw e;
      await new Promise((r) => setTimeout(r, 250));
    }
  }
}

/** One command: output flushed every 200 ms (the control plane shows it while running). */
function run(cmd: GuestCommand): void {
  const child = spawn('/bin/sh', ['-c', cmd.content], {
    cwd: '/',
    detached: true,
    env: { PATH, HOME: '/root', ...cmd.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.set(cmd.id, child);
  let pending: Buffer[] = [];
  let chain = Promise.resolve();
  const flush = () => {
    if (!pending.length) return chain;
    const chunk = Buffer.concat(pending);
    pending = [];
    // A chunk the host never took is dropped: the end must still be reported.
    chain = chain.then(() => post(`/output?id=${cmd.id}`, chunk)).catch(() => undefined);
    return chain;
  };
  const ticker = setInterval(() => void flush(), 200);
  child.stdout!.on('data', (c: Buffer) => pending.push(c));
  child.stderr!.on('data', (c: Buffer) => pending.push(c));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, cmd.timeoutS * 1000);
  let done = false;
  const finish = (code: number | null, signal: NodeJS.Signals | null) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    clearInterval(ticker);
    running.delete(cmd.id);
    const exit = code ?? 128 + (signal ? constants.signals[signal] : 127);
    flush()
      .then(() => post(`/done?id=${cmd.id}&exit=${exit}&timedOut=${timedOut ? 1 : 0}`))
      .catch((e: unknown) => process.stderr.write(`asp-assistant: ${cmd.id}: ${String(e)}\n`));
  };
  // Normally at 'close' (all output read); after a timeout at the shell's exit: what it left
  // running may hold the output open for as long as it likes.
  child.on('exit', (code, signal) => timedOut && finish(code, signal));
  child.on('close', finish);
}

function stop(id: string): void {
  const child = running.get(id);
  if (!child?.pid) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    // already gone
  }
}

export async function assistant(): Promise<void> {
  // Until the host answers: the network may still be coming up.
  for (;;) {
    try {
      await post('/hello');
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
    }
  }
  process.stdout.write(`asp-assistant: online at ${BASE}\n`);
  for (;;) {
    let poll: GuestPoll;
    try {
      const r = await fetch(`${BASE}/next`, { signal: AbortSignal.timeout(30_000) });
      poll = (await r.json()) as GuestPoll;
    } catch {
      await new Promise((r) => setTimeout(r, 500));
      continue;
    }
    for (const id of poll.stop) stop(id);
    for (const cmd of poll.commands) run(cmd);
  }
}
