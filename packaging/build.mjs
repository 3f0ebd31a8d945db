#!/usr/bin/env node
// npm run package: every artifact into dist/packages/ — the single-file bundle, the single
// executables (Bun-compiled, linux-x64 and linux-arm64, glibc >= 2.17), a cloud-assistant
// plugin zip, a .deb (dpkg-deb) and an .rpm (rpmbuild from Debian's rpm package) per
// architecture, and the man pages. packaging/README.md lists them.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  constants,
  copyFileSync,
  cpSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundle, executableParts } from './bundle.mjs';
import { ARCHES, compileExecutable } from './executable.mjs';
import { launcher } from './launcher.mjs';
import { commandManPage, manPage } from './man.mjs';
import {
  serviceUnit,
  TEMPLATE_SERVICE,
  TEMPLATE_TIMER,
  timerUnit,
} from '../dist/schedule/units.js';

// A missing tool or a failed step is one line saying which, not a stack trace.
process.on('uncaughtException', (e) => {
  console.error(`npm run package: ${e.message}`);
  process.exit(1);
});

const ROOT = resolve(import.meta.dirname, '..');
const OUT = join(ROOT, 'dist/packages');
const WORK = join(ROOT, 'dist/package-work');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
const VERSION = pkg.version;
const NAME = 'app-snapshot-plugin';

/** The Debian package that brings each build tool (for the one-line error when it is missing). */
const TOOL_PACKAGE = {
  zip: 'zip',
  'dpkg-deb': 'dpkg',
  rpmbuild: 'rpm',
  du: 'coreutils',
  tar: 'tar',
  npm: 'npm',
};

// Every tool is looked for before anything is built: a missing rpmbuild is said at once, not
// after two minutes of compiling, and all missing tools in one line.
const missing = Object.keys(TOOL_PACKAGE).filter(
  (t) => !(process.env.PATH ?? '').split(':').some((d) => d && isExecutable(join(d, t))),
);
if (missing.length) {
  const pkgs = [...new Set(missing.map((t) => TOOL_PACKAGE[t]))].join(' ');
  throw new Error(`missing build tools: ${missing.join(', ')} (apt-get install ${pkgs})`);
}

function isExecutable(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: WORK, ...opts });
  if (r.error?.code === 'ENOENT') {
    const pkgName = TOOL_PACKAGE[cmd];
    throw new Error(`${cmd} is not installed${pkgName ? ` (apt-get install ${pkgName})` : ''}`);
  }
  if (r.status !== 0) {
    const why =
      `${r.stderr ?? ''}${r.stdout ?? ''}`.trim() || r.error?.message || `exit ${r.status}`;
    throw new Error(`${cmd} ${args.join(' ')} failed: ${why}`);
  }
  return r.stdout;
}

rmSync(OUT, { recursive: true, force: true });
rmSync(WORK, { recursive: true, force: true });
mkdirSync(OUT, { recursive: true });
mkdirSync(WORK, { recursive: true });

// 1. Bundle.
const cjs = join(OUT, `${NAME}.cjs`);
await bundle(cjs);
chmodSync(cjs, 0o755);
const artefacts = [cjs];

// 2. Man pages, from the CLI's help and the code's tables.
const { EXIT_CODES } = await import(join(ROOT, 'dist/errors/exit-codes.js'));
const { ENVIRONMENT } = await import(join(ROOT, 'dist/cli/environment.js'));
const { FLEET_EXIT, FLEET_EXIT_MEANING } = await import(join(ROOT, 'dist/fleet/report.js'));
const fleetExit = Object.entries(FLEET_EXIT).map(([name, code]) => ({
  name,
  code,
  meaning: FLEET_EXIT_MEANING[name],
}));
const MAN_PAGES = {
  [`${NAME}.8`]: manPage(cjs, VERSION, EXIT_CODES, ENVIRONMENT),
  [`${NAME}-fleet.8`]: commandManPage(
    cjs,
    VERSION,
    'fleet',
    'run the agent on many instances through Cloud Assistant',
    fleetExit,
    ENVIRONMENT,
  ),
  [`${NAME}-cluster.8`]: commandManPage(
    cjs,
    VERSION,
    'cluster',
    'one snapshot group over several instances, all frozen at once',
    fleetExit,
    ENVIRONMENT,
  ),
};
for (const [name, text] of Object.entries(MAN_PAGES)) writeFileSync(join(OUT, name), text);

// The user pages the packages ship (README links them as docs/...); docs/dev/ stays out.
const USER_DOCS = [
  'README.md',
  'CHANGELOG.md',
  ...readdirSync(join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

// 3. Per architecture: the executable, the plugin zip, the deb and the rpm. The executable's
// programs are the agent split in parts (bundle.mjs's executableParts); the .cjs stays whole.
const parts = await executableParts(join(WORK, 'parts'));
for (const arch of Object.keys(ARCHES)) {
  const bin = compileExecutable(parts, join(OUT, `${NAME}-linux-${arch}`), arch);
  const tree = installedTree(bin);
  artefacts.push(bin, pluginZip(bin, arch), deb(tree, arch), rpm(tree, arch));
}

/** The Cloud Assistant plugin zip: config.json and the launcher at the root, the executable in bin/. */
function pluginZip(bin, arch) {
  const dir = join(WORK, `plugin-${arch}`);
  mkdirSync(join(dir, 'bin'), { recursive: true });
  // The plugin manager's GetArch() names aarch64 "arm" and x86_64 "x64".
  const config = {
    name: NAME,
    arch: arch === 'arm64' ? 'arm' : 'x64',
    osType: 'linux',
    runPath: NAME,
    timeout: '3900',
    publisher: 'app-snapshot-plugin authors',
    version: VERSION,
    pluginType: 'Once',
  };
  writeFileSync(join(dir, 'config.json'), `${JSON.stringify(config, null, 2)}\n`);
  writeFileSync(join(dir, NAME), launcher(arch, `bin/${NAME}`), { mode: 0o755 });
  copyFileSync(bin, join(dir, 'bin', NAME));
  chmodSync(join(dir, 'bin', NAME), 0o755);
  const zip = join(OUT, `${NAME}_${VERSION}_linux-${arch}.zip`);
  run('zip', ['-q', '-X', '-9', zip, 'config.json', NAME, `bin/${NAME}`], { cwd: dir });
  return zip;
}

/** The installed tree shared by the deb and the rpm of one architecture. */
function installedTree(bin) {
  const tree = join(WORK, `tree-${bin.split('-').at(-1)}`);
  // `from`: a path, or a Buffer of content.
  const put = (rel, from, mode) => {
    mkdirSync(join(tree, rel, '..'), { recursive: true });
    if (typeof from === 'string') copyFileSync(from, join(tree, rel));
    else writeFileSync(join(tree, rel), from);
    chmodSync(join(tree, rel), mode);
  };
  put('usr/bin/app-snapshot-plugin', bin, 0o755);
  for (const name of Object.keys(MAN_PAGES))
    put(
      `usr/share/man/man8/${name}.gz`,
      gzipSync(readFileSync(join(OUT, name)), { level: 9 }),
      0o644,
    );
  for (const doc of USER_DOCS)
    put(`usr/share/doc/app-snapshot-plugin/${doc}`, join(ROOT, doc), 0o644);
  put(
    'usr/share/doc/app-snapshot-plugin/copyright',
    Buffer.from('Apache-2.0\nSee https://www.apache.org/licenses/LICENSE-2.0\n'),
    0o644,
  );
  put(
    'usr/share/doc/app-snapshot-plugin/apps.json.example',
    Buffer.from(
      `${JSON.stringify({ apps: { db1: { type: 'mysql', socketPath: '/run/mysqld/mysqld.sock', user: 'root' } } }, null, 2)}\n`,
    ),
    0o644,
  );
  // Config and logs hold credentials and script output: root only.
  for (const dir of ['etc/app-snapshot-plugin', 'var/log/app-snapshot-plugin']) {
    mkdirSync(join(tree, dir), { recursive: true });
    chmodSync(join(tree, dir), 0o700);
  }
  return tree;
}

/**
 * The schedules' template units (src/schedule/units.ts): where each distribution family keeps
 * packaged units (Debian's /lib, still right before the /usr merge; /usr/lib for rpm).
 */
function putUnits(root, dir) {
  mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(join(root, dir, TEMPLATE_SERVICE), serviceUnit('/usr/bin/app-snapshot-plugin'));
  writeFileSync(join(root, dir, TEMPLATE_TIMER), timerUnit());
  for (const u of [TEMPLATE_SERVICE, TEMPLATE_TIMER]) chmodSync(join(root, dir, u), 0o644);
}

// Both packages depend on what the executable needs and nothing else: glibc >= 2.17 (its
// highest symbol version, checked on every build by the legacy-system suite) and util-linux
// (fsfreeze). No libstdc++: the executable does not link it.
function deb(tree, arch) {
  const debRoot = join(WORK, `deb-${arch}`);
  cpSync(tree, debRoot, { recursive: true });
  putUnits(debRoot, 'lib/systemd/system');
  mkdirSync(join(debRoot, 'DEBIAN'));
  const installedKb = Math.ceil(Number(run('du', ['-sk', tree]).split('\t')[0]));
  writeFileSync(
    join(debRoot, 'DEBIAN/control'),
    [
      `Package: ${NAME}`,
      `Version: ${VERSION}`,
      `Architecture: ${ARCHES[arch].deb}`,
      'Maintainer: app-snapshot-plugin authors <noreply@example.invalid>',
      `Installed-Size: ${installedKb}`,
      'Depends: libc6 (>= 2.17), util-linux',
      'Recommends: xfsprogs',
      // `cluster run` (the coordinator, usually off the instances) makes its certificate with it.
      'Suggests: openssl',
      'Section: admin',
      'Priority: optional',
      "Description: application-consistent snapshot groups of a VM's disks",
      ' Quiesces applications (scripts or built-in MySQL/MariaDB/PostgreSQL/SQL Server quiescers),',
      ' freezes the filesystems, creates one snapshot group (ECS API or a local reflink pool),',
      ' thaws and tags.',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(debRoot, 'DEBIAN/postrm'),
    '#!/bin/sh\nset -e\nif [ "$1" = purge ]; then rm -rf /var/log/app-snapshot-plugin /run/app-snapshot-plugin; fi\n',
  );
  chmodSync(join(debRoot, 'DEBIAN/postrm'), 0o755);
  const out = join(OUT, `${NAME}_${VERSION}_${ARCHES[arch].deb}.deb`);
  run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', debRoot, out]);
  return out;
}

// No compile step; the binary must not be stripped: that would drop the embedded agent.
function rpm(tree, arch) {
  const rpmArch = ARCHES[arch].rpm;
  const top = join(WORK, `rpm-${arch}`);
  const rpmTree = join(WORK, `rpm-tree-${arch}`);
  cpSync(tree, rpmTree, { recursive: true });
  putUnits(rpmTree, 'usr/lib/systemd/system');
  for (const d of ['BUILD', 'RPMS', 'SOURCES', 'SPECS', 'SRPMS', 'BUILDROOT'])
    mkdirSync(join(top, d), { recursive: true });
  const spec = join(top, 'SPECS', `${NAME}.spec`);
  writeFileSync(
    spec,
    [
      `Name: ${NAME}`,
      `Version: ${VERSION}`,
      'Release: 1',
      "Summary: Application-consistent snapshot groups of a VM's disks",
      'License: Apache-2.0',
      // What rpm's own dependency generator would write for a binary needing GLIBC_2.17.
      'Requires: libc.so.6(GLIBC_2.17)(64bit)',
      'Requires: util-linux',
      'AutoReqProv: no',
      '%global debug_package %{nil}',
      '%global __os_install_post %{nil}',
      '%define _build_id_links none',
      '%description',
      'Quiesces applications, freezes the filesystems, creates one snapshot group, thaws and tags.',
      '%install',
      `cp -a ${rpmTree}/. %{buildroot}/`,
      '%files',
      '%attr(0755,root,root) /usr/bin/app-snapshot-plugin',
      `%attr(0644,root,root) /usr/lib/systemd/system/${TEMPLATE_SERVICE}`,
      `%attr(0644,root,root) /usr/lib/systemd/system/${TEMPLATE_TIMER}`,
      ...Object.keys(MAN_PAGES).map((m) => `%attr(0644,root,root) /usr/share/man/man8/${m}.gz`),
      '%doc /usr/share/doc/app-snapshot-plugin',
      '%dir %attr(0700,root,root) /etc/app-snapshot-plugin',
      '%dir %attr(0700,root,root) /var/log/app-snapshot-plugin',
      '%postun',
      'if [ "$1" = 0 ]; then rm -rf /var/log/app-snapshot-plugin /run/app-snapshot-plugin; fi',
      '',
    ].join('\n'),
  );
  // --target, not BuildArch: rpmbuild refuses a BuildArch this machine cannot build for.
  run('rpmbuild', [
    '-bb',
    '--quiet',
    '--target',
    `${rpmArch}-linux`,
    '--define',
    `_topdir ${top}`,
    spec,
  ]);
  const name = `${NAME}-${VERSION}-1.${rpmArch}.rpm`;
  copyFileSync(join(top, 'RPMS', rpmArch, name), join(OUT, name));
  return join(OUT, name);
}

// 8. Sizes.
const sizes = Object.fromEntries(artefacts.map((f) => [f.slice(OUT.length + 1), statSync(f).size]));
writeFileSync(join(OUT, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
rmSync(WORK, { recursive: true, force: true });
for (const [f, n] of Object.entries(sizes))
  console.log(`${(n / 2 ** 20).toFixed(1).padStart(6)} MiB  dist/packages/${f}`);
