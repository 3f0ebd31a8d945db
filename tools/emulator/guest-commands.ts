// Cloud Assistant for an instance that is a guest VM: RunCommand's commands wait here until the
// guest's service (tools/vm/assistant.ts) asks for them over the guest channel
// (guest-protocol.ts, under the guest's metadata address); their output and exit code come back
// the same way. The instance is online from the service's first hello, as a real instance's
// Cloud Assistant is from its agent's first contact.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GUEST_CHANNEL, POLL_WAIT_MS, type GuestCommand } from './guest-protocol.js';

/** What the region keeps of one instance's invocation (region.ts's InvocationRecord). */
export interface CommandRecord {
  readonly invokeId: string;
  output: Buffer;
}

export class GuestCommands {
  /** Set by the guest service's first hello. */
  onlineAt: number | undefined;
  private queue: GuestCommand[] = [];
  private stops: string[] = [];
  private wake: (() => void) | undefined;
  private readonly records = new Map<string, CommandRecord>();

  constructor(
    /** Called once per command: its exit code, and whether the guest's timeout killed it. */
    private readonly settle: (rec: CommandRecord, code: number, timedOut: boolean) => void,
  ) {}

  get online(): boolean {
    return this.onlineAt !== undefined;
  }

  submit(rec: CommandRecord, content: string, timeoutS: number, env: Record<string, string>) {
    this.records.set(rec.invokeId, rec);
    this.queue.push({ id: rec.invokeId, content, timeoutS, env });
    this.wake?.();
  }

  stop(rec: CommandRecord): void {
    this.stops.push(rec.invokeId);
    this.wake?.();
  }

  /** Serves one request under GUEST_CHANNEL; false when the path is not the channel's. */
  async handle(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer) {
    if (!url.pathname.startsWith(GUEST_CHANNEL)) return false;
    const op = url.pathname.slice(GUEST_CHANNEL.length);
    // Output or an end for a command this region does not know (it was restarted): accepted and
    // dropped, so the guest's service does not retry it forever.
    const rec = this.records.get(url.searchParams.get('id') ?? '');
    if (op === '/hello') this.onlineAt ??= Date.now();
    else if (op === '/next') return this.next(res);
    else if (op === '/output') {
      if (rec) rec.output = Buffer.concat([rec.output, body]);
    } else if (op === '/done') {
      if (rec) {
        this.records.delete(rec.invokeId);
        const timedOut = url.searchParams.get('timedOut') === '1';
        this.settle(rec, Number(url.searchParams.get('exit')), timedOut);
      }
    } else {
      res.writeHead(404).end();
      return true;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    return true;
  }

  /** The long poll: answers at once when there is work, else at the first work or the wait. */
  private async next(res: ServerResponse): Promise<true> {
    if (!this.queue.length && !this.stops.length) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_WAIT_MS);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
        res.on('close', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      this.wake = undefined;
    }
    const answer = { commands: this.queue, stop: this.stops };
    if (res.destroyed) return true; // the guest gave up: what was queued stays queued
    this.queue = [];
    this.stops = [];
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
    return true;
  }
}
