// The shipped artifacts (npm run package; CI builds them first), installed and run for real:
// the bundle with no node_modules, the plugin zip in the plugin manager's layout, the deb
// installed and removed, the rpm's file list, scripts and binary.
import {
  serviceUnit,
  TEMPLATE_SERVICE,
  TEMPLATE_TIMER,
  timerUnit,
} from '../../src/schedule/index.js';
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packagedVersion } from '../support/version.js';
import { requireRoot, TestLab } from '../support/lab.js';
import { runCommand } from '../support/plugin-manager.js';

const OUT = join(import.meta.dirname, '../../dist/packages');
const VERSION = JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8'))
  .version as string;
const built = existsSync(join(OUT, 'sizes.json'));
if (!built && process.env.APP_SNAPSHOT_REQUIRE_INTEGRATION === '1') {
  throw new Error('dist/packages is missing: .ci/run runs npm run package before the tests');
}
/** The user pages the packages ship: README, CHANGELOG and docs/ without docs/dev/. */
const USER_PAGES = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(import.meta.dirname, '../../docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => `docs/${f}`),
];

function sh(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env } });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.skipIf(!requireRoot() || !built)('packages', () => {
  let lab: TestLab;
  let scratch: string;
  beforeAll(async () => {
    lab = await new TestLab().up(2);
    scratch = mkdtempSync('/tmp/asp-pkg-');
  });
  afterAll(async () => {
    sh('dpkg', ['--purge', 'app-snapshot-plugin']);
    rmSync(scratch, { recursive: true, force: true });
    await lab?.down();
  });
  const snapshotWith = (exe: string[], name: string) =>
    sh(
      exe[0]!,
      [...exe.slice(1), `-Name=${name}`, '-Engine=local', `-Pool=${lab.pool}`, '--output', 'json'],
      lab.env,
    );

  it('the bundle runs with no node_modules, watchdog included', () => {
    const dir = join(scratch, 'bundle');
    mkdirSync(dir);
    copyFileSync(join(OUT, 'app-snapshot-plugin.cjs'), join(dir, 'agent.cjs'));
    expect(sh(process.execPath, [join(dir, 'agent.cjs'), '--version']).out.trim()).toBe(
      packagedVersion(),
    );
    const r = snapshotWith([process.execPath, join(dir, 'agent.cjs')], 'bundled');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).Frozen).toHaveLength(2);
    expect(r.err).not.toMatch(/Warning/);
  });

  it('the plugin zip, unpacked where the plugin manager puts it, runs the way it runs plugins', async () => {
    const dir = join(scratch, 'plugin/app-snapshot-plugin', VERSION);
    mkdirSync(dir, { recursive: true });
    expect(
      sh('unzip', ['-q', join(OUT, `app-snapshot-plugin_${VERSION}_linux-x64.zip`), '-d', dir])
        .code,
    ).toBe(0);
    expect(
      sh('unzip', ['-Z1', join(OUT, `app-snapshot-plugin_${VERSION}_linux-x64.zip`)])
        .out.split('\n')
        .filter(Boolean)
        .sort(),
    ).toEqual(['app-snapshot-plugin', 'bin/app-snapshot-plugin', 'config.json']);
    const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
    expect(config).toEqual({
      name: 'app-snapshot-plugin',
      arch: 'x64',
      osType: 'linux',
      runPath: 'app-snapshot-plugin',
      timeout: '3900',
      publisher: 'app-snapshot-plugin authors',
      version: VERSION,
      pluginType: 'Once',
    });
    chmodSync(join(dir, config.runPath), 0o744); // what the plugin manager does after unzipping
    const inv = await runCommand(
      `acs-plugin-manager --exec --plugin app-snapshot-plugin --params=-Name="zipped",-Engine=local,-Pool="${lab.pool}",-ExcludeDiskId=""`,
      { timeoutS: Number(config.timeout), env: lab.env, executable: join(dir, config.runPath) },
    );
    expect(inv.ExitCode).toBe(0);
    expect(inv.text).not.toMatch(/Warning/);
    expect(inv.text.trim().split('\n').at(-1)).toMatch(
      /\[snapshotgroup="ssg-[0-9a-z]+"\] \[message="Finish whole Processes of Snapshot successfully"\]/,
    );
  });

  it('the arm64 zip names the architecture as the plugin manager does ("arm"), with its own launcher', () => {
    const zip = join(OUT, `app-snapshot-plugin_${VERSION}_linux-arm64.zip`);
    const config = JSON.parse(sh('unzip', ['-p', zip, 'config.json']).out);
    expect(config).toMatchObject({ arch: 'arm', osType: 'linux', runPath: 'app-snapshot-plugin' });
    expect(sh('unzip', ['-p', zip, 'app-snapshot-plugin']).out).toContain(
      '/lib/ld-linux-aarch64.so.1',
    );
    const dir = join(scratch, 'arm64-zip');
    mkdirSync(dir);
    expect(sh('unzip', ['-q', zip, 'bin/app-snapshot-plugin', '-d', dir]).code).toBe(0);
    expect(sh('readelf', ['-h', join(dir, 'bin/app-snapshot-plugin')]).out).toMatch(/AArch64/);
  });

  it('deb and rpm metadata: architecture and the glibc floor, per architecture', () => {
    for (const [deb, arch] of [
      ['amd64', 'x86_64'],
      ['arm64', 'aarch64'],
    ] as const) {
      const file = join(OUT, `app-snapshot-plugin_${VERSION}_${deb}.deb`);
      expect(sh('dpkg-deb', ['-f', file, 'Architecture', 'Depends']).out).toBe(
        `Architecture: ${deb}\nDepends: libc6 (>= 2.17), util-linux\n`,
      );
      const rpm = join(OUT, `app-snapshot-plugin-${VERSION}-1.${arch}.rpm`);
      expect(sh('rpm', ['-qp', '--qf', '%{ARCH}', rpm]).out).toBe(arch);
      expect(sh('rpm', ['-qp', '--requires', rpm]).out).toMatch(
        /^libc\.so\.6\(GLIBC_2\.17\)\(64bit\)$[\s\S]*^util-linux$/m,
      );
    }
  });

  it('the deb installs, takes a real snapshot, and goes away cleanly', () => {
    const deb = join(OUT, `app-snapshot-plugin_${VERSION}_amd64.deb`);
    expect(sh('dpkg', ['-i', deb]).code).toBe(0);
    try {
      expect(sh('/usr/bin/app-snapshot-plugin', ['--version']).out.trim()).toBe(packagedVersion());
      expect(statSync('/etc/app-snapshot-plugin').mode & 0o777).toBe(0o700);
      expect(statSync('/var/log/app-snapshot-plugin').mode & 0o777).toBe(0o700);
      // The user pages and a man page per command an operator runs, all in place.
      for (const m of ['', '-fleet', '-cluster'])
        expect(existsSync(`/usr/share/man/man8/app-snapshot-plugin${m}.8.gz`)).toBe(true);
      for (const page of USER_PAGES)
        expect(readFileSync(`/usr/share/doc/app-snapshot-plugin/${page}`, 'utf8')).toBe(
          readFileSync(join(import.meta.dirname, '../..', page), 'utf8'),
        );
      const fleetMan = gunzipSync(
        readFileSync('/usr/share/man/man8/app-snapshot-plugin-fleet.8.gz'),
      );
      expect(fleetMan.toString()).toMatch(
        /^\.TH APP-SNAPSHOT-PLUGIN-FLEET 8 [\s\S]*^\.SH EXIT STATUS$/m,
      );
      // The schedules' template units, where Debian keeps packaged units.
      expect(readFileSync(`/lib/systemd/system/${TEMPLATE_SERVICE}`, 'utf8')).toBe(
        serviceUnit('/usr/bin/app-snapshot-plugin'),
      );
      expect(readFileSync(`/lib/systemd/system/${TEMPLATE_TIMER}`, 'utf8')).toBe(timerUnit());
      const r = snapshotWith(['/usr/bin/app-snapshot-plugin'], 'installed');
      expect(r.code).toBe(0);
      expect(JSON.parse(r.out).Consistency).toBe('FsConsistent');
    } finally {
      expect(sh('dpkg', ['--purge', 'app-snapshot-plugin']).code).toBe(0);
    }
    expect(existsSync('/usr/bin/app-snapshot-plugin')).toBe(false);
    expect(existsSync(`/lib/systemd/system/${TEMPLATE_TIMER}`)).toBe(false);
    expect(existsSync('/etc/app-snapshot-plugin')).toBe(false);
    expect(sh('dpkg', ['-s', 'app-snapshot-plugin']).code).not.toBe(0);
  });

  it('the rpm has the right files, modes and scripts, and an unbroken binary', () => {
    const rpm = join(OUT, `app-snapshot-plugin-${VERSION}-1.x86_64.rpm`);
    expect(sh('rpm', ['-qp', '--qf', '%{NAME} %{VERSION} %{ARCH}', rpm]).out).toBe(
      `app-snapshot-plugin ${VERSION} x86_64`,
    );
    expect(sh('rpm', ['-qlp', rpm]).out.trim().split('\n')).toEqual([
      '/etc/app-snapshot-plugin',
      '/usr/bin/app-snapshot-plugin',
      `/usr/lib/systemd/system/${TEMPLATE_SERVICE}`,
      `/usr/lib/systemd/system/${TEMPLATE_TIMER}`,
      '/usr/share/doc/app-snapshot-plugin',
      '/usr/share/doc/app-snapshot-plugin/CHANGELOG.md',
      '/usr/share/doc/app-snapshot-plugin/README.md',
      '/usr/share/doc/app-snapshot-plugin/apps.json.example',
      '/usr/share/doc/app-snapshot-plugin/copyright',
      '/usr/share/doc/app-snapshot-plugin/docs',
      ...USER_PAGES.filter((p) => p.startsWith('docs/')).map(
        (p) => `/usr/share/doc/app-snapshot-plugin/${p}`,
      ),
      '/usr/share/man/man8/app-snapshot-plugin-cluster.8.gz',
      '/usr/share/man/man8/app-snapshot-plugin-fleet.8.gz',
      '/usr/share/man/man8/app-snapshot-plugin.8.gz',
      '/var/log/app-snapshot-plugin',
    ]);
    expect(sh('rpm', ['-qp', '--dump', rpm]).out).toMatch(
      /^\/etc\/app-snapshot-plugin \d+ \d+ \S+ 040700 root root/m,
    );
    expect(sh('rpm', ['-qp', '--scripts', rpm]).out).toMatch(
      /postuninstall scriptlet[\s\S]*rm -rf \/var\/log\/app-snapshot-plugin/,
    );
    // Unpacked, its binary still carries the agent (rpm must not have stripped it).
    const dir = join(scratch, 'rpm');
    mkdirSync(dir);
    expect(
      spawnSync('sh', ['-c', `rpm2cpio '${rpm}' | cpio -idm --quiet`], { cwd: dir }).status,
    ).toBe(0);
    expect(sh(join(dir, 'usr/bin/app-snapshot-plugin'), ['--version']).out.trim()).toBe(
      packagedVersion(),
    );
    expect(readFileSync(join(dir, `usr/lib/systemd/system/${TEMPLATE_TIMER}`), 'utf8')).toBe(
      timerUnit(),
    );
  });
});
