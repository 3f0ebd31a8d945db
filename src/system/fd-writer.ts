import { writeSync } from 'node:fs';

/**
 * Writes to file descriptor 1 or 2 itself. Why: under Bun the first process.stdout or
 * process.stderr write costs ~12 ms (it sets up the stream), and the run's first log line comes
 * before the first freeze. Node writes pipes, files and terminals synchronously on Linux too,
 * so nothing changes order. A descriptor someone made non-blocking that is full (EAGAIN)
 * hands this write and every later one to the stream, which waits; a reader that is gone
 * (EPIPE) loses the output, not the run (the log file has it).
 */
export function fdWriter(
  fd: number,
  stream: () => { write(data: string | Uint8Array): unknown },
  write: (fd: number, data: Uint8Array) => number = writeSync,
): (text: string) => void {
  let viaStream = false;
  return (text) => {
    if (viaStream) return void stream().write(text);
    let rest: Uint8Array = Buffer.from(text);
    try {
      while (rest.length) rest = rest.subarray(write(fd, rest));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') return;
      viaStream = true;
      stream().write(rest);
    }
  };
}
