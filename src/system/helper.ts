// The watchdog: a plain pipe pair, not execa (it is on the path to the first freeze, and execa
// costs ~90 ms to load): Bun.spawn under Bun (bun-spawn.ts), node:child_process under Node.
import { createRequire } from 'node:module';
import { bunApi, bunHelper } from './bun-spawn.js';
import { feedFromNode, LineFeed } from './lines.js';
import type { Helper } from './runner.js';

export function spawnHelper(file: string, args: readonly string[]): Helper {
  // Own session: a Ctrl-C to the agent's process group must not reach the watchdog.
  if (bunApi) return bunHelper(bunApi, file, args);
  // Loaded here, not at start: under Bun the module alone costs ~5 ms.
  const { spawn } = createRequire(import.meta.url)(
    'node:child_process',
  ) as typeof import('node:child_process');
  const sub = spawn(file, args, { detached: true, stdio: ['pipe', 'pipe', 'ignore'] });
  if (!sub.pid) throw new Error(`could not start ${file}`);
  const exited = new Promise<number | undefined>((resolve) => {
    sub.once('error', () => resolve(undefined));
    sub.once('exit', (code) => resolve(code ?? undefined));
  });
  const feed = new LineFeed();
  const drained = new Promise<void>((resolve) => feedFromNode(sub.stdout, feed, resolve));
  sub.stdin.on('error', () => undefined); // it may be gone: its death is seen by `exited`
  return {
    pid: sub.pid,
    send: (text) => void (sub.stdin.writableEnded || sub.stdin.write(text)),
    end: () => void sub.stdin.end(),
    onLine: (listener) => feed.listen(listener),
    drained,
    exited,
  };
}
