// Integration support: a real lab (XFS reflink pool, loop disks, filesystems, mounts) in a
// private temporary root, and the built CLI run as a real process. Needs root.
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  mkdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, join } from 'node:path';
// @ts-expect-error -- plain ESM JavaScript shared with the packaging scripts
import { cacheDir } from '../../packaging/registry.mjs';
import { expect } from 'vitest';
import type { LabState } from '../../src/lab/lab.js';

export const CLI = join(import.meta.dirname, '../../dist/cli/main.js');
/** The same agent with engine faults (APP_SNAPSHOT_LOCAL_FAULT): tools/faulty-agent.ts. */
export const FAULTY_CLI = join(import.meta.dirname, '../../dist-tools/tools/faulty-agent.js');
export const IS_ROOT = process.getuid?.() === 0;

/**
 * The shipped executable to test instead of `node dist/cli/main.js`
 * (APP_SNAPSHOT_TEST_AGENT=dist/packages/app-snapshot-plugin-linux-x64; CI runs the integration
 * suite both ways). Tests of the fault-injecting agent (FAULTY_CLI) always run under node: the
 * faults are not in any shipped artefact.
 */
export const TEST_AGENT = installedTestAgent(process.env.APP_SNAPSHOT_TEST_AGENT);

/**
 * The executable as it is installed, outside /tmp: the layout suite remounts /tmp noexec (a
 * checkout under /tmp, as CI's fresh clone is, would make the binary itself unrunnable there,
 * which no installed agent is). One copy per build, in the runtime cache directory.
 */
function installedTestAgent(path: string | undefined): string | undefined {
  if (!path) return undefined;
  const st = statSync(path);
  const dir = join(cacheDir() as string, 'test-agent');
  const copy = join(dir, `${basename(path)}-${st.size}-${Math.floor(st.mtimeMs)}`);
  if (!existsSync(copy)) {
    mkdirSync(dir, { recursive: true });
    copyFileSync(path, `${copy}.part-${process.pid}`);
    chmodSync(`${copy}.part-${process.pid}`, 0o755);
    renameSync(`${copy}.part-${process.pid}`, copy);
  }
  return copy;
}

/** The argv that starts `cli` (the agent unless FAULTY_CLI): program first. */
export function agentArgv(cli: string = CLI): string[] {
  if (TEST_AGENT && cli === CLI) return [TEST_AGENT];
  return [process.execPath, cli];
}

/** In CI a missing prerequisite is a failure, not a silent skip. */
export function requireRoot(): boolean {
  if (!IS_ROOT && process.env.APP_SNAPSHOT_REQUIRE_INTEGRATION === '1') {
    throw new Error('integration tests must run as root here (APP_SNAPSHOT_REQUIRE_INTEGRATION=1)');
  }
  return IS_ROOT;
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** The program to run: CLI unless a test needs FAULTY_CLI. */
  cli?: string;
}

export function runCli(args: string[], o: RunOptions = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const [file, ...pre] = agentArgv(o.cli);
    const child = spawn(file!, [...pre, ...args], {
      env: { ...process.env, ...o.env },
      cwd: o.cwd ?? '/',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The run with its stdout parsed as JSON (undefined when it is not JSON). */
export function withJson(r: CliRun): CliRun & { json: any } {
  try {
    return { ...r, json: JSON.parse(r.stdout) };
  } catch {
    return { ...r, json: undefined };
  }
}

export class TestLab {
  readonly root: string;
  readonly stateDir: string;
  readonly logDir: string;
  state!: LabState;

  constructor() {
    this.root = mkdtempSync('/tmp/asp-lab-');
    this.stateDir = join(this.root, 'state');
    this.logDir = join(this.root, 'logs');
    mkdirSync(this.stateDir, { mode: 0o700 });
  }

  get pool(): string {
    return this.state.pool;
  }

  get env(): NodeJS.ProcessEnv {
    return {
      APP_SNAPSHOT_STATE_DIR: this.stateDir,
      APP_SNAPSHOT_LOG_DIR: this.logDir,
      // Its own run history, and no node_exporter: a test that gives the agent its whole
      // environment (a systemd service's) must not add to this machine's.
      APP_SNAPSHOT_DATA_DIR: join(this.root, 'data'),
      APP_SNAPSHOT_METRICS_DIR: join(this.root, 'no-node-exporter'),
    };
  }

  async up(disks = 2, fs = 'ext4,xfs', quota = 64): Promise<this> {
    const r = await runCli([
      'lab',
      'up',
      '--root',
      join(this.root, 'lab'),
      '--disks',
      String(disks),
      '--size',
      '320M',
      '--fs',
      fs,
      '--quota',
      String(quota),
      '--json',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    this.state = JSON.parse(r.stdout) as LabState;
    return this;
  }

  /** Runs a snapshot against this lab with JSON output. */
  async snapshot(words: string[], o: RunOptions = {}): Promise<CliRun & { json: any }> {
    const r = await runCli([`-Pool=${this.pool}`, '-Engine=local', ...words, '--output', 'json'], {
      ...o,
      env: { ...this.env, ...o.env },
    });
    return withJson(r);
  }

  mount(i: number): string {
    return this.state.disks[i]!.mountPoint;
  }

  /** Thaws (harmless if not frozen), unmounts, detaches, removes. Safe in finally. */
  async down(): Promise<void> {
    for (const d of this.state?.disks ?? []) spawnSync('fsfreeze', ['-u', d.mountPoint]);
    const r = await runCli(['lab', 'down', '--root', join(this.root, 'lab')]);
    rmSync(this.root, { recursive: true, force: true });
    expect(r.code).toBe(0);
  }
}

/** What a write probe saw: how long the write took and how it ended. */
export interface WriteProbe {
  readonly ms: number;
  readonly code: number | null;
  readonly stderr: string;
}

/**
 * Resolves once a write to `dir` ends (completes or fails). A write to a frozen filesystem
 * blocks until the thaw, so this tells "thawed" from "frozen" from outside without touching the
 * freeze. Use expectThawedWithin / expectFrozen, which bound it and check its status.
 */
export function writeProbe(dir: string): Promise<WriteProbe> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      'sh',
      ['-c', `echo probe > "$1/.probe-$$" && rm -f "$1/.probe-$$"`, 'sh', dir],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    child.on('close', (code) => resolve({ ms: performance.now() - t0, code, stderr }));
  });
}

/**
 * "At once" for a thaw on the integration lab: far below any run's TimeoutInSeconds used with it
 * (>= 15 s), far above what a loaded two-core machine needs (tens of ms), so a thaw that comes
 * only at the watchdog's deadline fails the test instead of passing late.
 */
export const AT_ONCE_MS = 5000;

/**
 * Asserts that a write to `dir` succeeds within `withinMs`: the filesystem is not frozen (and
 * was thawed in time, not at some later deadline). Returns how long the write took.
 */
export function expectThawedWithin(dir: string, withinMs: number): Promise<number> {
  return ended(dir, writeProbe(dir), withinMs);
}

async function ended(dir: string, probe: Promise<WriteProbe>, withinMs: number): Promise<number> {
  const r = await Promise.race([probe, timeout(withinMs)]);
  if (r === 'timeout')
    throw new Error(`${dir} is still frozen: a write did not complete within ${withinMs} ms`);
  expect(r.code, `the write to ${dir} failed: ${r.stderr}`).toBe(0);
  return r.ms;
}

/** A write blocked by a freeze (expectFrozen): it ends at the thaw. */
export interface BlockedWrite {
  /** Resolves when the write ends (await it, or thawedWithin, before leaving the test). */
  readonly ended: Promise<WriteProbe>;
  /** Asserts the blocked write completes (exit 0) within `ms` from now; returns ms waited. */
  thawedWithin(ms: number): Promise<number>;
}

/** Asserts that a write to `dir` is still blocked after `forMs`: the filesystem is frozen. */
export async function expectFrozen(dir: string, forMs = 300): Promise<BlockedWrite> {
  const probe = writeProbe(dir);
  const r = await Promise.race([probe, timeout(forMs)]);
  if (r !== 'timeout')
    throw new Error(
      `${dir} is not frozen: a write ended in ${r.ms.toFixed(0)} ms (exit ${r.code})`,
    );
  return {
    ended: probe,
    thawedWithin: async (ms) => {
      const t0 = performance.now();
      await ended(dir, probe, ms);
      return performance.now() - t0;
    },
  };
}

export function timeout(ms: number): Promise<'timeout'> {
  return new Promise((r) => setTimeout(() => r('timeout'), ms));
}
