// The cluster protocol: JSON lines over one TLS connection per participant, which the
// participant opens to the coordinator (docs/080_cluster.md).
//
//   participant                              coordinator
//   prepared {token, timeoutMs}         ->   (every instance prepared, or abort all)
//                                       <-   freeze            | abort {why}
//   frozen {remainingMs, disks}         ->   (every instance frozen and live: one group)
//                                       <-   calling {name, clientToken}  (sent before the call:
//                                            should the coordinator die now, each participant
//                                            can name what the cloud may have made)
//                                       <-   created {groupId} | abort {why}   (= thaw now)
//   done {exitCode, consistency,        ->   (what it froze, and whether its freeze held from
//         frozen, freezeHeld}                  before the point in time until after it)
//
// A participant answers only the message its state expects; anything else (late, duplicate,
// unknown) is ignored, so nothing can make it freeze twice or after an abort. Losing the
// connection while frozen means thaw now.
import type { Socket } from 'node:net';

export type ToCoordinator =
  | { t: 'prepared'; token: string; timeoutMs: number }
  | { t: 'frozen'; remainingMs: number; disks: string[] }
  | {
      t: 'done';
      exitCode: number;
      consistency: string;
      /** The mount points it froze. */
      frozen: string[];
      /** Its filesystems were frozen across the point in time (the run's FreezeHeld). */
      freezeHeld: boolean;
    };

export type ToParticipant =
  | { t: 'freeze' }
  | { t: 'calling'; name: string; clientToken: string }
  | { t: 'created'; groupId: string }
  | { t: 'abort'; why: string };

/** Calls `onMessage` for every parsed line (bad lines are dropped), `onClose` once. */
export function readLines<T>(
  socket: Socket,
  onMessage: (m: T) => void,
  onClose: (why: string) => void,
): void {
  let buf = '';
  let closed = false;
  const close = (why: string) => {
    if (closed) return;
    closed = true;
    onClose(why);
  };
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    if (buf.length > 1 << 20) return socket.destroy(new Error('message too long'));
    let nl;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        onMessage(JSON.parse(line) as T);
      } catch {
        // not JSON: ignored
      }
    }
  });
  socket.on('error', (e) => close(e.message));
  socket.on('close', () => close('connection closed'));
}

export function send(socket: Socket, m: ToCoordinator | ToParticipant): void {
  if (!socket.destroyed) socket.write(`${JSON.stringify(m)}\n`);
}
