// The wiring of the real machine into Deps, in what it decides itself: which files it reads,
// when the state directory is probed, that the freezer follows the lock, what recovery thaws.
// The integration suites run the same wiring for real (root, loop devices).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { markerPath, writeMarker } from '../../../src/freeze/marker.js';
import { RunLog } from '../../../src/report/logger.js';
import { systemDeps, systemPlatform } from '../../../src/plugin/system-deps.js';
import { lockHolder } from '../../../src/system/lock.js';
import { fakeFsfreeze } from '../../support/fake-fsfreeze.js';
import { MemoryEngine, memoryDisks } from '../../support/fakes.js';
import { tmp } from '../../support/tmp.js';

function deps(stateDir: string, env: NodeJS.ProcessEnv = {}) {
  return systemDeps(new RunLog(() => undefined), new MemoryEngine(memoryDisks(1)), {
    paths: { stateDir, logDir: join(stateDir, 'log') },
    osReleasePath: join(stateDir, 'os-release'),
    env,
  });
}

describe('systemPlatform', () => {
  it('reads os-release from the configured path, and none as empty', () => {
    const dir = tmp();
    const osReleasePath = join(dir, 'os-release');
    const platform = systemPlatform({ osReleasePath, env: {} });
    expect(platform.osRelease()).toBe('');
    writeFileSync(osReleasePath, 'ID=debian\nVERSION_ID="12"\n');
    expect(platform.osRelease()).toBe('ID=debian\nVERSION_ID="12"\n');
  });

  it("reads this process's mountinfo, knows whether it runs as root", () => {
    const platform = systemPlatform({ osReleasePath: '/nonexistent', env: {} });
    expect(platform.mountinfo()).toBe(readFileSync('/proc/self/mountinfo', 'utf8'));
    expect(platform.isRoot()).toBe(process.getuid!() === 0);
  });

  it("finds fsfreeze in the system's directories first, then in the caller's PATH", () => {
    const dir = tmp();
    const fake = fakeFsfreeze(dir);
    const found = systemPlatform({ osReleasePath: '/nonexistent', env: { PATH: dir } });
    // util-linux's, where the machine has one, wins over the caller's PATH
    const system = systemPlatform({ osReleasePath: '/nonexistent', env: {} }).fsfreezePath();
    expect(found.fsfreezePath()).toBe(system ?? fake.bin);
  });
});

describe('systemDeps', () => {
  it('takes the lock in the state directory after a write probe, which leaves nothing behind', async () => {
    const dir = tmp();
    const lock = await deps(dir).acquireLock();
    try {
      expect(lock.held()).toBe(true);
      expect(lockHolder(dir)).toBe(process.pid);
      expect(readdirSync(dir)).toEqual(['lock']); // the probe is gone
    } finally {
      lock.release();
    }
    expect(lockHolder(dir)).toBeUndefined();
  });

  it('a state directory that takes no write fails the run with a condition error naming it', async () => {
    const dir = tmp();
    const file = join(dir, 'a-file');
    writeFileSync(file, '');
    const stateDir = join(file, 'state'); // under a regular file: ENOTDIR
    const err = (await Promise.resolve(deps(stateDir).acquireLock()).catch((e: unknown) => e)) as {
      kind?: string;
      message: string;
    };
    expect(err.kind).toBe('ConditionCheckFailed');
    // the write probe says it (where /tmp is tmpfs there is no probe: creating it fails)
    expect(err.message).toMatch(
      new RegExp(
        `^cannot (write in|create) the state directory ${stateDir}: .*(ENOTDIR|Not a directory)`,
      ),
    );
  });

  it("recovers a dead run's freeze from the marker in the state directory", () => {
    const dir = tmp();
    mkdirSync(join(dir, 'fake'));
    mkdirSync(join(dir, 'state'));
    const fake = fakeFsfreeze(join(dir, 'fake'), '', 0, ['/data']);
    writeMarker(join(dir, 'state'), {
      agentPid: process.pid,
      agentStart: 'not-this-process',
      watchdogPid: undefined,
      mounts: ['/data'],
      fsfreeze: fake.bin,
      createdAt: new Date().toISOString(),
    });
    expect(deps(join(dir, 'state')).recoverLeftoverFreeze()).toEqual(['/data']);
    expect(fake.frozen()).toEqual([]);
    expect(() => readFileSync(markerPath(join(dir, 'state')))).toThrow();
  });

  it('nothing to recover: nothing thawed', () => {
    expect(deps(tmp()).recoverLeftoverFreeze()).toEqual([]);
  });
});
