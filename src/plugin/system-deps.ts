// Wires the real machine into Deps: the only place the orchestration meets the system.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { AppQuiescer } from '../apps/types.js';
import type { SnapshotEngine } from '../engines/types.js';
import { findFsfreeze } from '../freeze/fsfreeze.js';
import { recoverFrozen } from '../freeze/recover.js';
import { WatchdogFreezer } from '../freeze/watchdog-freezer.js';
import type { RunLog } from '../report/logger.js';
import { checkScript } from '../scripts/check.js';
import { ScriptDir, runPrepared } from '../scripts/runner.js';
import { SysBlock } from '../system/blockdev.js';
import { acquireLock } from '../system/lock.js';
import type { AgentPaths } from '../system/paths.js';
import { systemRunner } from '../system/runner.js';
import type { Deps, Platform } from './deps.js';

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function systemPlatform(env: NodeJS.ProcessEnv = process.env): Platform {
  const sys = new SysBlock();
  return {
    osRelease: () => readOptional(env.APP_SNAPSHOT_OS_RELEASE || '/etc/os-release') ?? '',
    redhatRelease: () => readOptional('/etc/centos-release') ?? readOptional('/etc/redhat-release'),
    mountinfo: () => readFileSync('/proc/self/mountinfo', 'utf8'),
    isRoot: () => process.getuid?.() === 0,
    stackedDevs: (node) => sys.stackedDevs(node.replace(/^\/dev\//, '')),
    devOfNode: (node) => sys.devOfNode(node),
    backingFileOf: (dev) => sys.backingFileOfDev(dev),
    fsfreezePath: () => findFsfreeze(env),
  };
}

/**
 * How the watchdog is started: this same program with the hidden `__watchdog` command; as a
 * single executable the program is the executable itself (no script argument).
 */
export function selfCommand(sea = isSea()): { file: string; args: string[] } {
  if (sea) return { file: process.execPath, args: ['__watchdog'] };
  return { file: process.execPath, args: [...process.execArgv, process.argv[1]!, '__watchdog'] };
}

function isSea(): boolean {
  try {
    // node:sea exists from Node 20.12; require keeps it out of the ESM import graph.
    return (createRequire(import.meta.url)('node:sea') as { isSea(): boolean }).isSea();
  } catch {
    return false;
  }
}

export function systemDeps(
  log: RunLog,
  engine: SnapshotEngine,
  paths: AgentPaths,
  interrupt: AbortSignal = new AbortController().signal,
  apps: readonly AppQuiescer[] = [],
): Deps {
  const platform = systemPlatform();
  const scriptDir = new ScriptDir(paths.stateDir);
  return {
    log,
    engine,
    platform,
    paths,
    runner: systemRunner,
    interrupt,
    apps,
    presync: async (mounts) => {
      if (!mounts.length) return;
      const r = await systemRunner.run('sync', ['-f', ...mounts], { timeoutMs: 60_000 });
      if (r.exitCode !== 0 && !r.timedOut)
        await systemRunner.run('sync', [], { timeoutMs: 60_000 });
    },
    newFreezer: () =>
      new WatchdogFreezer({
        runner: systemRunner,
        command: selfCommand(),
        fsfreeze: platform.fsfreezePath() ?? 'fsfreeze',
        stateDir: paths.stateDir,
      }),
    scripts: {
      check: (path) => checkScript(path),
      run: (role, check, timeoutMs, abort) =>
        runPrepared(
          systemRunner,
          scriptDir.prepare(role, check.path, check.content),
          timeoutMs,
          process.env,
          abort,
        ),
      cleanup: () => scriptDir.remove(),
    },
    acquireLock: () => acquireLock(paths.stateDir),
    recoverLeftoverFreeze: () => recoverFrozen(paths.stateDir).thawed,
  };
}
