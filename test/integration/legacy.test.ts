// The shipped linux-x64 executable on the oldest systems the vendor supports: a glibc 2.17
// root (CentOS 7.9, then Alibaba Cloud Linux 2) under a Linux 3.10 system-call filter (see
// test/support/legacy-root.ts). Real lab disks, real freezes, the emulator as the cloud, the
// plugin-manager harness, and MariaDB over its socket. Plus the static checks on the build.
import { spawn, spawnSync } from 'node:child_process';
import { chownSync, existsSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagedVersion } from '../support/version.js';
import { readMarker } from '../../src/freeze/marker.js';
import { Emulator } from '../../tools/emulator/server.js';
import { agentEnvFor, emulatorByIdDir } from '../support/emulator.js';
import { AGENT_IN_ROOT, KERNEL310, glibc217, LegacyRoot } from '../support/legacy-root.js';
import { HAVE_MARIADB, TestMariadb } from '../support/mariadb.js';
import {
  AT_ONCE_MS,
  expectFrozen,
  expectThawedWithin,
  requireRoot,
  TestLab,
  timeout,
  withJson,
  writeProbe,
} from '../support/lab.js';
import { runCommand } from '../support/plugin-manager.js';

const BIN = join(import.meta.dirname, '../../dist/packages/app-snapshot-plugin-linux-x64');
const built = existsSync(BIN);
if (!built && process.env.APP_SNAPSHOT_REQUIRE_INTEGRATION === '1')
  throw new Error(`${BIN} is missing: .ci/run runs npm run package before the tests`);

/** Highest symbol version of `prefix` (GLIBC, GLIBCXX) that `file` requires, or undefined. */
function highestRequired(file: string, prefix: string): string | undefined {
  const out = spawnSync('readelf', ['-V', '--wide', file], { encoding: 'utf8' }).stdout;
  const versions = [...out.matchAll(new RegExp(`Name: ${prefix}_([0-9.]+)`, 'g'))].map(
    (m) => m[1]!,
  );
  const key = (v: string) =>
    v
      .split('.')
      .map((n) => n.padStart(4, '0'))
      .join('.');
  return versions.sort((a, b) => key(a).localeCompare(key(b))).at(-1);
}

describe.skipIf(!built)('the executable needs no more than CentOS 7 has', () => {
  it('highest GLIBC version 2.17, no libstdc++ (GLIBCXX <= 3.4.19 holds trivially)', () => {
    expect(highestRequired(BIN, 'GLIBC')).toBe('2.17');
    expect(highestRequired(BIN, 'GLIBCXX')).toBeUndefined();
    const needed = spawnSync('readelf', ['-d', BIN], { encoding: 'utf8' }).stdout;
    expect([...needed.matchAll(/Shared library: \[(.+)\]/g)].map((m) => m[1]).sort()).toEqual([
      'ld-linux-x86-64.so.2',
      'libc.so.6',
      'libdl.so.2',
      'libm.so.6',
      'libpthread.so.0',
    ]);
  });

  it("glibc 2.17's own loader resolves every symbol version against its libraries", () => {
    const lib = glibc217();
    const r = spawnSync(join(lib, 'ld-2.17.so'), ['--library-path', lib, '--list', BIN], {
      encoding: 'utf8',
    });
    expect(`${r.stdout}${r.stderr}`).not.toMatch(/not found/);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`${lib}/libc.so.6`);
  });
});

describe.skipIf(!requireRoot() || !built)(
  'the executable on CentOS 7 / Alibaba Cloud Linux 2',
  () => {
    let lab: TestLab;
    let root: LegacyRoot;
    let emulator: Emulator;
    const outputs: string[] = [];

    beforeAll(async () => {
      lab = await new TestLab().up(2);
      root = new LegacyRoot(BIN, 'centos7');
      emulator = new Emulator({ pool: lab.pool, byIdDir: emulatorByIdDir(lab), progressMs: 200 });
      await emulator.start();
    });
    afterAll(async () => {
      await emulator?.stop();
      await lab?.down();
      root?.remove();
    });

    /** The agent in the root; spawned, so tests can look at it while it runs. */
    function start(args: string[], env: NodeJS.ProcessEnv = {}, shared: string[] = []) {
      const [file, ...pre] = root.argv(AGENT_IN_ROOT, [lab.root, ...shared]);
      // A systemd service's environment: the cloud assistant's, not ours.
      const child = spawn(file!, [...pre, ...args], {
        env: { PATH: '/usr/bin:/usr/sbin', LANG: 'en_US.UTF-8', ...lab.env, ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (c) => (stdout += c));
      child.stderr.on('data', (c) => (stderr += c));
      const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((r) =>
        child.on('close', (code) => {
          outputs.push(stdout, stderr);
          r({ code, stdout, stderr });
        }),
      );
      return { child, done };
    }
    const run = async (args: string[], env: NodeJS.ProcessEnv = {}, shared: string[] = []) =>
      withJson(await start(args, env, shared).done);
    const local = ['-Engine=local', `-Pool=${'POOL'}`];
    const localArgs = () => local.map((w) => w.replace('POOL', lab.pool));

    it('the 3.10 filter is real: Node (getrandom, Linux 3.17) cannot even start under it', () => {
      const kernel310 = root.path(KERNEL310.slice(1));
      const r = spawnSync(kernel310, [process.execPath, '-e', '0'], { encoding: 'utf8' });
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/CSPRNG|getrandom|Assertion/);
    });

    it('starts: --version, and `check` accepts CentOS 7.9 and Alibaba Cloud Linux 2.1903', async () => {
      const v = await run(['--version']);
      expect(v.stderr).toBe('');
      expect(v.stdout.trim()).toBe(packagedVersion());
      for (const os of ['centos7', 'alinux2'] as const) {
        root.setOs(os);
        const c = await run(['check', '-Name=legacy', ...localArgs(), '--json']);
        expect(c.json?.Error).toBeUndefined();
        expect(c.code).toBe(0);
        expect(c.json.Os).toMatch(
          os === 'centos7' ? /CentOS Linux 7/ : /Alibaba Cloud Linux.*2\.1903/,
        );
      }
      // The version comes from centos-release (os-release says only "7"): 7.5 is refused.
      root.setOs('centos7');
      writeFileSync(root.path('etc/centos-release'), 'CentOS Linux release 7.5.1804 (Core)\n');
      try {
        const old = await run(['check', '-Name=legacy', ...localArgs(), '--json']);
        expect(old.code).toBe(1);
        expect(old.json.Error).toMatch(/older than the supported CentOS 7\.6/);
      } finally {
        root.setOs('centos7');
      }
    });

    it('snapshots the lab: both filesystems frozen, #! scripts (bash, env sh) run, AppConsistent', async () => {
      const pre = join(lab.root, 'pre.sh');
      const post = join(lab.root, 'post.sh');
      const evidence = join(lab.root, 'evidence');
      writeFileSync(
        pre,
        `#!/bin/bash\nset -eu\n[[ -n "$BASH_VERSION" ]] && echo pre >> ${evidence}\n`,
        { mode: 0o700 },
      );
      writeFileSync(post, `#!/usr/bin/env sh\necho post >> ${evidence}\n`, { mode: 0o700 });
      const r = await run([
        '-Name=legacy-local',
        ...localArgs(),
        `-PreScriptPath=${pre}`,
        `-PostScriptPath=${post}`,
        '--output',
        'json',
      ]);
      expect(r.json?.Error).toBeUndefined();
      expect(r.code).toBe(0);
      expect(r.json.Consistency).toBe('AppConsistent');
      expect(r.json.Frozen.sort()).toEqual([lab.mount(0), lab.mount(1)].sort());
      expect(readFileSync(evidence, 'utf8')).toBe('pre\npost\n');
    });

    it('ecs engine against the emulator; while frozen only glibc 2.17 is mapped; kill -9 of the agent is thawed by its watchdog', async () => {
      emulator.faults = { 'slow-create': 20_000 };
      const held = start(
        [
          '-Engine=ecs',
          '-Name=legacy-held',
          '-RamRoleName=AppSnapshotRoleName',
          '-TimeoutInSeconds=60',
        ],
        agentEnvFor(emulator, lab),
      );
      try {
        const marker = await frozenMarker(lab.stateDir);
        await untilFrozen(lab.mount(0));
        for (const pid of [held.child.pid!, marker.watchdogPid!]) {
          expect(readlinkSync(`/proc/${pid}/exe`)).toBe(root.path(AGENT_IN_ROOT.slice(1)));
          const libs = mappedLibraries(pid);
          expect(libs.length).toBeGreaterThan(2);
          for (const l of libs)
            expect(l).toMatch(
              new RegExp(`^${root.dir}/usr/lib64/(lib[a-z]+-2\\.17|ld-2\\.17)\\.so$`),
            );
        }
        const blocked = await expectFrozen(lab.mount(1));
        held.child.kill('SIGKILL');
        // The watchdog saw the pipe close and thawed: at once, not at the 60 s deadline.
        await blocked.thawedWithin(AT_ONCE_MS);
        await expectThawedWithin(lab.mount(0), AT_ONCE_MS);
      } finally {
        held.child.kill('SIGKILL');
        for (const d of lab.state.disks) spawnSync('fsfreeze', ['-u', d.mountPoint]);
        emulator.faults = {};
      }
      const r = await run(
        ['-Engine=ecs', '-Name=legacy-ecs', '-RamRoleName=AppSnapshotRoleName', '--output', 'json'],
        agentEnvFor(emulator, lab),
      );
      expect(r.json?.Error).toBeUndefined();
      expect(r.code).toBe(0);
      for (const s of r.json.Snapshots) expect(s.Tags).toEqual({ FsConsistent: 'True' });
    });

    it('kill -9 of the watchdog while frozen: the agent thaws by itself and says so (exit 11)', async () => {
      emulator.faults = { 'slow-create': 3000 };
      const held = start(
        ['-Engine=ecs', '-Name=legacy-wd', '-RamRoleName=AppSnapshotRoleName', '--output', 'json'],
        agentEnvFor(emulator, lab),
      );
      try {
        const marker = await frozenMarker(lab.stateDir);
        await untilFrozen(lab.mount(0));
        process.kill(marker.watchdogPid!, 'SIGKILL');
        const r = withJson(await held.done);
        expect(r.code).toBe(11);
        expect(r.json.Error).toMatch(/watchdog/);
        for (const i of [0, 1]) await expectThawedWithin(lab.mount(i), AT_ONCE_MS);
        for (const s of r.json.Snapshots ?? []) expect(s.Tags ?? {}).toEqual({});
      } finally {
        held.child.kill('SIGKILL');
        for (const d of lab.state.disks) spawnSync('fsfreeze', ['-u', d.mountPoint]);
        emulator.faults = {};
      }
    });

    it('through the plugin-manager harness: Go-flag parameters, base64 output, exit 0', async () => {
      const inv = await runCommand(
        `acs-plugin-manager --exec --plugin app-snapshot-plugin --params=-Name="legacy-pm",-Engine=local,-Pool="${lab.pool}",-ExcludeDiskId=""`,
        { timeoutS: 120, env: lab.env, executable: root.argv(AGENT_IN_ROOT, [lab.root]) },
      );
      expect(inv.ExitCode).toBe(0);
      expect(inv.text.trim().split('\n').at(-1)).toMatch(
        /\[snapshotgroup="ssg-[0-9a-z]+"\] \[message="Finish whole Processes of Snapshot successfully"\]/,
      );
    });

    it.skipIf(!HAVE_MARIADB && process.env.APP_SNAPSHOT_REQUIRE_INTEGRATION !== '1')(
      'the MariaDB quiescer over the server socket: held across the freeze, AppConsistent',
      async () => {
        const db = new TestMariadb({
          datadir: join(lab.mount(0), 'mysql'),
          binlogDir: join(lab.mount(1), 'binlog'),
          runDir: join(lab.root, 'run'),
          name: 'legacy',
        });
        db.init();
        await db.start();
        try {
          const apps = join(lab.root, 'apps.json');
          writeFileSync(
            apps,
            JSON.stringify({
              apps: { db: { type: 'mysql', socketPath: db.socket, user: 'root' } },
            }),
            { mode: 0o600 },
          );
          chownSync(apps, 0, 0);
          const r = await run(['-Name=legacy-db', ...localArgs(), '-Apps=db', '--output', 'json'], {
            APP_SNAPSHOT_APPS_CONFIG: apps,
          });
          expect(r.json?.Error).toBeUndefined();
          expect(r.code).toBe(0);
          expect(r.json.Consistency).toBe('AppConsistent');
          expect(r.json.Apps[0]).toMatchObject({ Name: 'db', Held: true });
        } finally {
          await db.stop();
        }
      },
    );

    it('never printed a loader or runtime complaint', () => {
      expect(outputs.join('\n')).not.toMatch(
        /GLIBC_|not found|ENOSYS|Function not implemented|Illegal instruction|DeprecationWarning|\(node:\d+\)/,
      );
    });
  },
);

/** The marker once the run is frozen (it lists mounts and the watchdog's pid then). */
async function frozenMarker(stateDir: string) {
  for (let i = 0; i < 600; i++) {
    const m = readMarker(stateDir);
    if (m?.watchdogPid && m.mounts.length) return m;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('the run never froze');
}

/** Resolves once a write to `mount` blocks (the probe completes later, at the thaw). */
async function untilFrozen(mount: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if ((await Promise.race([writeProbe(mount), timeout(200)])) === 'timeout') return;
  }
  throw new Error(`${mount} never froze`);
}

/** The shared libraries a process has mapped, by the host's path. */
function mappedLibraries(pid: number): string[] {
  const maps = readFileSync(`/proc/${pid}/maps`, 'utf8');
  const libs = new Set<string>();
  for (const line of maps.split('\n')) {
    const path = line.split(/\s+/).slice(5).join(' ');
    if (/\.so(\.|$)/.test(path)) libs.add(path);
  }
  return [...libs].sort();
}
