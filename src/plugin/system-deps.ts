// Wires the real machine into Deps: the only place the orchestration meets the system.
import { readFileSync } from 'node:fs';
import { readOptional } from '../system/files.js';
import type { AppQuiescer } from '../apps/types.js';
import type { SnapshotEngine } from '../engines/types.js';
import { findFsfreeze, findSync, presync } from '../freeze/fsfreeze.js';
import { recoverFrozen } from '../freeze/recover.js';
import { selfCommand } from '../freeze/self-command.js';
import { WatchdogFreezer } from '../freeze/watchdog-freezer.js';
import type { RunLog } from '../report/logger.js';
import { checkScript } from '../scripts/check.js';
import { ScriptDir, runPrepared } from '../scripts/private-copy.js';
import { SysBlock } from '../system/blockdev.js';
import { acquireLock, type Lock } from '../system/lock.js';
import type { AgentPaths } from '../system/paths.js';
import { writeBounded } from '../system/bounded-write.js';
import { systemRunner, type Helper } from '../system/runner.js';
import { mountOf, parseMountinfo } from '../system/mountinfo.js';
import { conditionFailed } from '../errors/errors.js';
import { dirname, join } from 'node:path';
import type { Deps, Platform } from './deps.js';

/** The block-device facts the platform passes on (SysBlock reads them from sysfs). */
export type BlockFacts = Pick<SysBlock, 'stackedDevs' | 'devOfNode' | 'backingFileOfDev'>;

/** What the system wiring takes from the agent's configuration (see cli/config.ts). */
export interface SystemConfig {
  readonly paths: AgentPaths;
  readonly osReleasePath: string;
  readonly env: NodeJS.ProcessEnv;
}

export function systemPlatform(
  config: Pick<SystemConfig, 'osReleasePath' | 'env'>,
  sys: BlockFacts = new SysBlock(),
): Platform {
  const env = config.env;
  // CentOS/RHEL keep their precise release beside os-release (/etc; a stand-in's directory).
  const etc = dirname(config.osReleasePath);
  return {
    osRelease: () => readOptional(config.osReleasePath) ?? '',
    redhatRelease: () =>
      readOptional(join(etc, 'centos-release')) ?? readOptional(join(etc, 'redhat-release')),
    mountinfo: () => readFileSync('/proc/self/mountinfo', 'utf8'),
    isRoot: () => process.getuid?.() === 0,
    stackedDevs: (node) => sys.stackedDevs(node.replace(/^\/dev\//, '')),
    devOfNode: (node) => sys.devOfNode(node),
    backingFileOf: (dev) => sys.backingFileOfDev(dev),
    fsfreezePath: () => findFsfreeze(env),
  };
}

/**
 * A state directory on a filesystem that someone keeps frozen would block the agent for good
 * (a thread blocked on a frozen filesystem even keeps the process from exiting). Where it is
 * not on tmpfs (the default /run is), a child process tries a write first, bounded in time.
 */
export async function stateDirTakesWrites(
  stateDir: string,
  mountinfo: string,
  write: typeof writeBounded = writeBounded,
): Promise<void> {
  const fs = mountOf(parseMountinfo(mountinfo), stateDir);
  if (!fs || fs.fsType === 'tmpfs' || fs.fsType === 'ramfs') return;
  const r = await write(join(stateDir, `.probe-${process.pid}`), '', 2000, true);
  if (r.ok) return;
  throw conditionFailed(
    r.timedOut
      ? `the state directory ${stateDir} takes no write within 2 s: is its filesystem (${fs.mountPoint}) frozen?`
      : `cannot write in the state directory ${stateDir}: ${r.error}`,
  );
}

export function systemDeps(
  log: RunLog,
  engine: SnapshotEngine,
  config: SystemConfig,
  interrupt: AbortSignal = new AbortController().signal,
  apps: readonly AppQuiescer[] = [],
  prespawned?: Helper,
): Deps {
  let early = prespawned;
  // The freezer writes the frozen marker only while this run holds the lock.
  let lock: Lock | undefined;
  const { paths } = config;
  const platform = systemPlatform(config);
  const scriptDir = new ScriptDir(paths.stateDir);
  // Looked up once: presync runs twice a run, the second time right before the first freeze.
  const sync = findSync(config.env);
  return {
    log,
    engine,
    platform,
    paths,
    runner: systemRunner,
    interrupt,
    apps,
    presync: (mounts) => presync(mounts, 60_000, sync),
    newFreezer: (fsfreeze) =>
      new WatchdogFreezer({
        runner: systemRunner,
        // The first freezer takes the watchdog started at launch (see self-command.ts).
        prespawned: early ? ((h) => ((early = undefined), h))(early) : undefined,
        command: selfCommand(),
        fsfreeze,
        stateDir: paths.stateDir,
        ownsLock: () => lock?.held() ?? false,
      }),
    scripts: {
      check: (path) => checkScript(path),
      run: (role, check, timeoutMs, abort) =>
        runPrepared(
          systemRunner,
          scriptDir.prepare(role, check.path, check.content),
          timeoutMs,
          config.env,
          abort,
        ),
      cleanup: () => scriptDir.remove(),
    },
    acquireLock: async () => {
      await stateDirTakesWrites(paths.stateDir, platform.mountinfo());
      return (lock = acquireLock(paths.stateDir));
    },
    recoverLeftoverFreeze: () => recoverFrozen(paths.stateDir).thawed,
  };
}
