import { createRequire } from 'node:module';
import { toolEnv } from './tools.js';

export type BoundedWrite = { ok: true } | { ok: false; timedOut: boolean; error: string };

/**
 * Writes `data` to `path` (through a temporary file, renamed into place, mode 0600) from a
 * child process, and gives up waiting after `timeoutMs`. A write to a filesystem that
 * someone keeps frozen blocks in the kernel until the thaw, and a process with such a
 * blocked thread cannot even exit: so it is the child that blocks, not the agent. An
 * abandoned child finishes its write after the thaw. Empty `data` with `probe` just tests
 * that the directory takes writes, leaving nothing behind.
 */
export function writeBounded(
  path: string,
  data: string,
  timeoutMs: number,
  probe = false,
  readable = false,
): Promise<BoundedWrite> {
  // `readable`: mode 0644, for a reader that is not root (node_exporter); never for logs.
  const umask = readable ? 'umask 022;' : 'umask 077;';
  const script = probe
    ? `${umask} mkdir -p "\${1%/*}" && : > "$1" && rm -f "$1"`
    : `${umask} mkdir -p "\${1%/*}" || exit 1; if cat > "$1.tmp"; then mv -f "$1.tmp" "$1"; else rm -f "$1.tmp"; exit 1; fi`;
  // mkdir (even of a directory that exists) waits on a frozen filesystem too: the child does it.
  return boundedShell(script, [path], data, timeoutMs);
}

/**
 * Appends `data` (one write: lines of a few hundred bytes from concurrent runs never
 * interleave) to `path`, bounded like writeBounded. Once the file has more than `rotateAt`
 * lines it is renamed to `path.1` (replacing the older one): readers take `path.1` then
 * `path`, so at least the last `rotateAt` lines are always there and never more than twice that.
 */
export function appendBounded(
  path: string,
  data: string,
  timeoutMs: number,
  rotateAt: number,
): Promise<BoundedWrite> {
  const script =
    'umask 077; mkdir -p "${1%/*}" || exit 1; cat >> "$1" || exit 1; n=$(wc -l < "$1") || exit 1; [ "$n" -le "$2" ] || mv -f "$1" "$1.1"';
  return boundedShell(script, [path, String(rotateAt)], data, timeoutMs);
}

function boundedShell(
  script: string,
  args: string[],
  data: string,
  timeoutMs: number,
): Promise<BoundedWrite> {
  return new Promise((resolve) => {
    // Loaded when first needed: under Bun the module alone costs ~5 ms at start-up.
    const { spawn } = createRequire(import.meta.url)(
      'node:child_process',
    ) as typeof import('node:child_process');
    const child = spawn('/bin/sh', ['-c', script, 'sh', ...args], {
      stdio: ['pipe', 'ignore', 'pipe'],
      env: toolEnv(),
      detached: true,
    });
    let stderr = '';
    let settled = false;
    const settle = (r: BoundedWrite) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const timer = setTimeout(() => {
      // Left to finish by itself once the filesystem thaws; the agent does not wait for it.
      child.unref();
      child.stdin.destroy();
      child.stderr.destroy();
      settle({ ok: false, timedOut: true, error: `no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdin.on('error', () => undefined);
    child.on('error', (e) => settle({ ok: false, timedOut: false, error: e.message }));
    child.on('close', (code) =>
      settle(
        code === 0
          ? { ok: true }
          : {
              ok: false,
              timedOut: false,
              error: stderr.trim().replace(/^sh: \d+: /, '') || `exit ${code}`,
            },
      ),
    );
    child.stdin.end(data);
  });
}
