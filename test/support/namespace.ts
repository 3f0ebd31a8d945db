// Runs the built CLI inside a private mount namespace (unshare -m) whose layout a few shell
// commands reshape first: noexec /run, noexec /tmp, subvolume-only btrfs and so on. The
// mounts made there vanish with the namespace; the filesystems (superblocks) are the host's
// lab disks, so a freeze there is a freeze here. Needs root.
import { spawn } from 'node:child_process';
import { agentArgv, type CliRun } from './lab.js';

export interface NamespaceRun {
  /** Shell commands run (set -e) inside the namespace before the agent starts. */
  readonly setup: readonly string[];
  /** The agent's whole environment (nothing is inherited), e.g. a systemd service's. */
  readonly env: NodeJS.ProcessEnv;
  /** umask for the agent, as an octal string. */
  readonly umask?: string;
}

export function runInNamespace(args: readonly string[], o: NamespaceRun): Promise<CliRun> {
  const script = ['set -e', ...o.setup, `umask ${o.umask ?? '022'}`, 'exec "$@"'].join('\n');
  return new Promise((resolve) => {
    const child = spawn(
      '/usr/bin/unshare',
      ['-m', '--propagation', 'private', '/bin/sh', '-c', script, 'sh', ...agentArgv(), ...args],
      { env: o.env, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Setup lines proving that `dir` really is noexec in the namespace (else the test is void). */
export function assertNoexec(dir: string): string[] {
  return [
    `cp /bin/true ${dir}/.asp-exec-probe`,
    `if ${dir}/.asp-exec-probe 2>/dev/null; then echo "${dir} is not noexec" >&2; exit 97; fi`,
    `rm -f ${dir}/.asp-exec-probe`,
  ];
}

/** Remount an existing directory noexec,nosuid,nodev in the namespace, keeping its submounts. */
export function noexecDir(dir: string): string[] {
  return [
    `mount --rbind ${dir} ${dir}`,
    `mount -o remount,bind,noexec,nosuid,nodev ${dir}`,
    ...assertNoexec(dir),
  ];
}
