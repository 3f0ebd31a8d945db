// The wiring of the real machine into Deps, in what it decides itself: which files it reads,
// when the state directory is probed, that the freezer follows the lock, what recovery thaws.
// The integration suites run the same wiring for real (root, loop devices).
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { markerPath, writeMarker } from '../../../src/freeze/marker.js';
import { RunLog } from '../../../src/report/logger.js';
import {
  stateDirTakesWrites,
  systemDeps,
  systemPlatform,
  type BlockFacts,
} from '../../../src/plugin/system-deps.js';
import { Deadline } from '../../../src/system/clock.js';
import type { writeBounded } from '../../../src/system/bounded-write.js';
import type { Helper } from '../../../src/system/runner.js';
import { lockHolder } from '../../../src/system/lock.js';
import { fakeFsfreeze } from '../../support/fake-fsfreeze.js';
import { MemoryEngine, memoryDisks } from '../../support/fakes.js';
import { frozenMsg, scripted, thawedMsg } from '../../support/scripted-watchdog.js';
import { tmp } from '../../support/tmp.js';

function deps(stateDir: string, env: NodeJS.ProcessEnv = {}, prespawned?: Helper) {
  return systemDeps(
    new RunLog(() => undefined),
    new MemoryEngine(memoryDisks(1)),
    {
      paths: { stateDir, logDir: join(stateDir, 'log') },
      osReleasePath: join(stateDir, 'os-release'),
      env,
    },
    undefined,
    [],
    prespawned,
  );
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

  it("reads CentOS/RHEL's precise release beside os-release, centos-release first", () => {
    const dir = tmp();
    const platform = systemPlatform({ osReleasePath: join(dir, 'os-release'), env: {} });
    expect(platform.redhatRelease()).toBeUndefined();
    writeFileSync(
      join(dir, 'redhat-release'),
      'Red Hat Enterprise Linux Server release 7.9 (Maipo)\n',
    );
    expect(platform.redhatRelease()).toBe('Red Hat Enterprise Linux Server release 7.9 (Maipo)\n');
    writeFileSync(join(dir, 'centos-release'), 'CentOS Linux release 7.9.2009 (Core)\n');
    expect(platform.redhatRelease()).toBe('CentOS Linux release 7.9.2009 (Core)\n');
  });

  it("reads this process's mountinfo, knows whether it runs as root", () => {
    const platform = systemPlatform({ osReleasePath: '/nonexistent', env: {} });
    expect(platform.mountinfo()).toBe(readFileSync('/proc/self/mountinfo', 'utf8'));
    const uid = vi.spyOn(process, 'getuid');
    try {
      uid.mockReturnValue(1000);
      expect(platform.isRoot()).toBe(false);
      uid.mockReturnValue(0);
      expect(platform.isRoot()).toBe(true);
    } finally {
      uid.mockRestore();
    }
  });

  it('asks the block facts by kernel name (no /dev/), by node and by device number', () => {
    const asked: string[] = [];
    const sys: BlockFacts = {
      stackedDevs: (name) => (asked.push(`stacked ${name}`), new Set([`dev-of-${name}`])),
      devOfNode: (node) => (asked.push(`node ${node}`), `7:${node.length}`),
      backingFileOfDev: (dev) => (asked.push(`backing ${dev}`), `/pool/${dev}.img`),
    };
    const platform = systemPlatform({ osReleasePath: '/nonexistent', env: {} }, sys);
    expect([...platform.stackedDevs('/dev/loop3')]).toEqual(['dev-of-loop3']);
    expect(platform.devOfNode('/dev/loop3')).toBe('7:10');
    expect(platform.backingFileOf('7:3')).toBe('/pool/7:3.img');
    expect(asked).toEqual(['stacked loop3', 'node /dev/loop3', 'backing 7:3']);
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

describe('the state directory write probe', () => {
  const mountinfo = (fsType: string) =>
    [
      `27 1 254:0 / / rw - ext4 /dev/vda rw`,
      `28 27 0:26 / /state rw - ${fsType} ${fsType === 'ext4' ? '/dev/vdb' : fsType} rw`,
    ].join('\n');
  const recorder = (r: Awaited<ReturnType<typeof writeBounded>>) => {
    const calls: unknown[][] = [];
    const write = (async (...a: unknown[]) => (calls.push(a), r)) as typeof writeBounded;
    return { calls, write };
  };

  it.each(['tmpfs', 'ramfs'])('on %s (never frozen): no probe', async (fsType) => {
    const w = recorder({ ok: true });
    await stateDirTakesWrites('/state/asp', mountinfo(fsType), w.write);
    expect(w.calls).toEqual([]);
  });

  it('on a disk filesystem: one probe file in the state directory, bounded at 2 s', async () => {
    const w = recorder({ ok: true });
    await stateDirTakesWrites('/state/asp', mountinfo('ext4'), w.write);
    expect(w.calls).toEqual([[`/state/asp/.probe-${process.pid}`, '', 2000, true]]);
  });

  it.each([
    [
      { ok: false, timedOut: true, error: 'no answer within 2000 ms' },
      'the state directory /state/asp takes no write within 2 s: is its filesystem (/state) frozen?',
    ],
    [
      { ok: false, timedOut: false, error: 'Read-only file system' },
      'cannot write in the state directory /state/asp: Read-only file system',
    ],
  ] as const)('a probe that fails (%o): the run stops, saying why', async (r, message) => {
    const w = recorder(r);
    await expect(
      stateDirTakesWrites('/state/asp', mountinfo('xfs'), w.write),
    ).rejects.toMatchObject({ kind: 'ConditionCheckFailed', message });
  });

  it('a directory on no known mount: no probe (the lock reports what is wrong)', async () => {
    const w = recorder({ ok: true });
    await stateDirTakesWrites('/state/asp', '28 27 0:26 / /other rw - ext4 /dev/vdb rw', w.write);
    expect(w.calls).toEqual([]);
  });
});

describe('systemDeps', () => {
  it('the freezer runs the fsfreeze it is given, and writes the marker only under the lock', async () => {
    const dir = tmp();
    const w = scripted();
    const d = deps(dir, {}, w.helper);
    const freezer = d.newFreezer('/opt/sbin/fsfreeze');
    const ready = freezer.prepare();
    w.say({ event: 'ready', pid: 1, freezeWith: 'fsfreeze' });
    await ready;
    // no lock yet: another run may hold it
    await expect(freezer.freeze([['/data']], new Deadline(30_000))).rejects.toMatchObject({
      kind: 'SnapshotInProgress',
    });
    expect(w.received).toEqual([]);
    const lock = await d.acquireLock();
    try {
      const frozen = freezer.freeze([['/data']], new Deadline(30_000));
      expect(await w.sent(1)).toMatchObject({ op: 'freeze', fsfreeze: '/opt/sbin/fsfreeze' });
      expect(readFileSync(markerPath(dir), 'utf8')).toContain('/opt/sbin/fsfreeze');
      w.say(frozenMsg(['/data']));
      await frozen;
      const thawed = freezer.thaw();
      await w.sent(2);
      w.say(thawedMsg(['/data']));
      await thawed;
    } finally {
      lock.release();
      w.die();
      await freezer.dispose();
    }
  });

  it('cleanup removes the private copies of the scripts it ran', async () => {
    const dir = tmp();
    const d = deps(dir, { PATH: process.env.PATH });
    const r = await d.scripts.run(
      'pre',
      { ok: true, path: '/etc/prescript.sh', content: Buffer.from('exit 0\n') },
      10_000,
    );
    expect(r.exitCode).toBe(0);
    expect(readdirSync(dir)).toEqual([`run-${process.pid}`]);
    d.scripts.cleanup();
    expect(readdirSync(dir)).toEqual([]);
  });

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
