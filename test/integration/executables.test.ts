// The shipped executables beyond this machine's own layout: Bun's clock against the kernel's,
// the linux-arm64 executable under qemu-user (a real lab snapshot, its watchdog started through
// binfmt_misc), and the plugin zip's launcher where the agent cannot run.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagedVersion } from '../support/version.js';
// @ts-expect-error -- plain ESM JavaScript shared with the packaging scripts
import { hostBun } from '../../packaging/executable.mjs';
// @ts-expect-error -- plain ESM JavaScript shared with the packaging scripts
import { launcher } from '../../packaging/launcher.mjs';
import { requireRoot, TestLab } from '../support/lab.js';

const OUT = join(import.meta.dirname, '../../dist/packages');
const ARM64 = join(OUT, 'app-snapshot-plugin-linux-arm64');
const built = existsSync(ARM64);
const REQUIRED = process.env.APP_SNAPSHOT_REQUIRE_INTEGRATION === '1';
if (!built && REQUIRED) throw new Error(`${ARM64} is missing: .ci/run runs npm run package first`);

/** Debian's qemu-user and the arm64 C library it loads the executable with (libc6-arm64-cross). */
const QEMU = '/usr/bin/qemu-aarch64';
const ARM64_SYSROOT = '/usr/aarch64-linux-gnu';
const haveQemu = existsSync(QEMU) && existsSync(join(ARM64_SYSROOT, 'lib/ld-linux-aarch64.so.1'));
if (!haveQemu && REQUIRED)
  throw new Error('qemu-user and libc6-arm64-cross are missing (.ci/run installs them)');

describe('Bun runtime', () => {
  it("the agent's clock under Bun is the kernel's CLOCK_MONOTONIC, as under Node", () => {
    const clock = join(import.meta.dirname, '../../dist/system/clock.js');
    const before = process.hrtime.bigint();
    const r = spawnSync(
      hostBun() as string,
      ['-e', `import { monoNs } from '${clock}'; console.log(monoNs());`],
      { encoding: 'utf8' },
    );
    const after = process.hrtime.bigint();
    expect(r.stderr).toBe('');
    const bun = BigInt(r.stdout.trim());
    expect(bun >= before && bun <= after).toBe(true);
  });
});

describe.skipIf(!built || !haveQemu)('the linux-arm64 executable under qemu-user', () => {
  const arm = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(QEMU, ['-L', ARM64_SYSROOT, ARM64, ...args], {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });

  it('is an aarch64 ELF needing glibc 2.17 at most', () => {
    const h = spawnSync('readelf', ['-h', ARM64], { encoding: 'utf8' }).stdout;
    expect(h).toMatch(/Machine:\s+AArch64/);
    const v = spawnSync('readelf', ['-V', '--wide', ARM64], { encoding: 'utf8' }).stdout;
    const versions = [...v.matchAll(/Name: GLIBC_2\.(\d+)/g)].map((m) => Number(m[1]));
    expect(Math.max(...versions)).toBe(17);
  });

  it('--version, --help, decode and parameter errors', () => {
    expect(arm(['--version']).stdout.trim()).toBe(packagedVersion());
    expect(arm(['--help']).stdout).toMatch(/take an application-consistent snapshot group/);
    const d = arm(['decode', Buffer.from('hello from arm64\n').toString('base64')]);
    expect(d.stdout).toBe('hello from arm64\n');
    const bad = arm(['-Name=x', '-TimeoutInSeconds=abc']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/-TimeoutInSeconds must be an integer, got 'abc'/);
  });

  describe.skipIf(!requireRoot())('a real snapshot', () => {
    let lab: TestLab;
    let mountedBinfmt = false;
    const entry = '/proc/sys/fs/binfmt_misc/asp-test-aarch64';
    beforeAll(async () => {
      lab = await new TestLab().up(2);
      // The agent starts its watchdog as itself (an arm64 executable): binfmt_misc hands it to
      // qemu. QEMU_LD_PREFIX tells that qemu where the arm64 C library is.
      if (!existsSync('/proc/sys/fs/binfmt_misc/register')) {
        expect(
          spawnSync('mount', ['-t', 'binfmt_misc', 'binfmt_misc', '/proc/sys/fs/binfmt_misc'])
            .status,
        ).toBe(0);
        mountedBinfmt = true;
      }
      if (!existsSync(entry)) {
        const magic =
          '\\x7fELF\\x02\\x01\\x01\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x02\\x00\\xb7\\x00';
        const mask =
          '\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\x00\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xff\\xfe\\xff\\xff\\xff';
        const line = `:asp-test-aarch64:M::${magic}:${mask}:${QEMU}:`;
        expect(
          spawnSync('sh', ['-c', `printf '%s' '${line}' > /proc/sys/fs/binfmt_misc/register`])
            .status,
        ).toBe(0);
      }
    });
    afterAll(async () => {
      if (existsSync(entry)) writeFileSync(entry, '-1');
      if (mountedBinfmt) spawnSync('umount', ['/proc/sys/fs/binfmt_misc']);
      await lab?.down();
    });

    it('freezes both lab filesystems through its own watchdog, clones, thaws and tags', () => {
      const r = spawnSync(
        ARM64,
        ['-Name=arm64', '-Engine=local', `-Pool=${lab.pool}`, '--output', 'json'],
        { encoding: 'utf8', env: { ...process.env, ...lab.env, QEMU_LD_PREFIX: ARM64_SYSROOT } },
      );
      const json = JSON.parse(r.stdout);
      expect(json.Error).toBeUndefined();
      expect(r.status).toBe(0);
      expect(json.Consistency).toBe('FsConsistent');
      expect(json.Frozen.sort()).toEqual([lab.mount(0), lab.mount(1)].sort());
      // The watchdog's marks and the agent's are on one clock: the window is positive and sane.
      const windowNs = BigInt(json.Marks.thawEndNs) - BigInt(json.Marks.firstFreezeNs);
      expect(windowNs > 0n && windowNs < 60_000_000_000n).toBe(true);
    });
  });
});

const haveBusybox = existsSync('/bin/busybox');
if (!haveBusybox && REQUIRED) throw new Error('busybox-static is missing (.ci/run installs it)');

describe.skipIf(!requireRoot() || !haveBusybox)("the plugin zip's launcher", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync('/tmp/asp-launcher-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A root with busybox sh, the launcher at /plugin/app-snapshot-plugin and a stand-in agent. */
  function root(name: string, arch: 'x64' | 'arm64', libs: Record<string, string>): string {
    const r = join(dir, name);
    for (const d of ['bin', 'plugin/bin', 'lib64', 'lib'])
      mkdirSync(join(r, d), { recursive: true });
    copyFileSync('/bin/busybox', join(r, 'bin/sh'));
    chmodSync(join(r, 'bin/sh'), 0o755);
    writeFileSync(
      join(r, 'plugin/app-snapshot-plugin'),
      launcher(arch, 'bin/app-snapshot-plugin'),
      {
        mode: 0o755,
      },
    );
    // The agent stand-in: a script, so the launcher's exec is observable without a loader.
    writeFileSync(join(r, 'plugin/bin/app-snapshot-plugin'), '#!/bin/sh\necho "agent $$ $*"\n', {
      mode: 0o755,
    });
    for (const [path, content] of Object.entries(libs)) writeFileSync(join(r, path), content);
    return r;
  }
  const launch = (r: string) =>
    spawnSync(
      'chroot',
      [r, '/bin/sh', '-c', 'echo "shell $$"; exec /plugin/app-snapshot-plugin -Name=x'],
      {
        encoding: 'utf8',
      },
    );

  it('on a system it can run on, execs the agent in place (same pid, arguments intact)', () => {
    const r = launch(
      root('ok', 'x64', { 'lib64/ld-linux-x86-64.so.2': '', 'lib64/libc-2.17.so': '' }),
    );
    expect(r.status).toBe(0);
    const [shell, agent] = r.stdout.trim().split('\n');
    expect(agent).toBe(`agent ${shell!.split(' ')[1]} -Name=x`);
  });

  it('without the x86-64 loader (a musl system, another architecture): one line, exit 1', () => {
    const r = launch(root('musl', 'x64', { 'lib/ld-musl-x86_64.so.1': '' }));
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^shell \d+\n$/); // the agent never ran
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /cannot run here: .*glibc >= 2\.17.*\/lib64\/ld-linux-x86-64\.so\.2 is missing/,
    );
  });

  it('with glibc 2.12 (CentOS 6): one line naming it, exit 1', () => {
    const r = launch(
      root('el6', 'x64', { 'lib64/ld-linux-x86-64.so.2': '', 'lib64/libc-2.12.so': '' }),
    );
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(
      /^app-snapshot-plugin: cannot run here: it needs glibc >= 2\.17 .*libc-2\.12\.so/,
    );
  });

  it('an x86-64 CPU without SSE4.2 (QEMU qemu64): one line, exit 1, not "Illegal instruction"', () => {
    const libs = { 'lib64/ld-linux-x86-64.so.2': '', 'lib64/libc-2.28.so': '' };
    const old = root('qemu64', 'x64', libs);
    mkdirSync(join(old, 'proc'));
    writeFileSync(
      join(old, 'proc/cpuinfo'),
      'processor\t: 0\nflags\t\t: fpu de pse tsc msr sse sse2 ht syscall nx lm\n',
    );
    const r = launch(old);
    expect(r.status).toBe(1);
    expect(r.stderr.trim()).toMatch(/needs an x86-64 CPU with SSE4.2 and POPCNT/);
    const modern = root('nehalem', 'x64', libs);
    mkdirSync(join(modern, 'proc'));
    writeFileSync(
      join(modern, 'proc/cpuinfo'),
      'flags\t\t: fpu sse2 ssse3 sse4_1 sse4_2 popcnt lm\n',
    );
    expect(launch(modern).status).toBe(0);
  });

  it('the arm64 launcher on an x86-64 system: one line, exit 1', () => {
    const r = launch(
      root('x64host', 'arm64', { 'lib64/ld-linux-x86-64.so.2': '', 'lib64/libc-2.28.so': '' }),
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/arm64 \(aarch64\) Linux .*\/lib\/ld-linux-aarch64\.so\.1 is missing/);
  });
});
