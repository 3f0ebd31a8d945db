#!/usr/bin/env node
// npm run package: every artifact into dist/packages/ — the single-file bundle, the Node
// single executable (linux-x64, from this machine's node), the cloud-assistant plugin zip, a
// .deb (dpkg-deb) and an .rpm (rpmbuild from Debian's rpm package), and the man page.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  cpSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { bundle } from './bundle.mjs';
import { manPage } from './man.mjs';

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
const TOOL_PACKAGE = { zip: 'zip', 'dpkg-deb': 'dpkg', rpmbuild: 'rpm', du: 'coreutils' };

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

// 2. Single executable: this machine's node with the bundle injected (no download).
writeFileSync(
  join(WORK, 'sea-config.json'),
  JSON.stringify({
    main: cjs,
    output: join(WORK, 'sea.blob'),
    disableExperimentalSEAWarning: true,
  }),
);
run(process.execPath, ['--experimental-sea-config', 'sea-config.json']);
const bin = join(OUT, NAME);
copyFileSync(process.execPath, bin);
chmodSync(bin, 0o755);
run(process.execPath, [
  join(ROOT, 'node_modules/postject/dist/cli.js'),
  bin,
  'NODE_SEA_BLOB',
  join(WORK, 'sea.blob'),
  '--sentinel-fuse',
  'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
]);

// 3. Man page, from the CLI's help and the exit-code table.
const { EXIT_CODES } = await import(join(ROOT, 'dist/report/exit-codes.js'));
const man = join(OUT, `${NAME}.8`);
writeFileSync(man, manPage(cjs, VERSION, EXIT_CODES));

// 4. Cloud-assistant plugin zip: config.json at the root, the executable beside it.
const pluginDir = join(WORK, 'plugin');
mkdirSync(pluginDir);
writeFileSync(
  join(pluginDir, 'config.json'),
  `${JSON.stringify({ name: NAME, arch: 'x64', osType: 'linux', runPath: NAME, timeout: '3900', publisher: 'app-snapshot-plugin authors', version: VERSION, pluginType: 'Once' }, null, 2)}\n`,
);
copyFileSync(bin, join(pluginDir, NAME));
chmodSync(join(pluginDir, NAME), 0o755);
const zip = join(OUT, `${NAME}_${VERSION}_linux-x64.zip`);
run('zip', ['-q', '-X', zip, 'config.json', NAME], { cwd: pluginDir });

// 5. The installed tree, shared by the deb and the rpm (`from`: a path, or a Buffer of content).
const tree = join(WORK, 'tree');
const put = (rel, from, mode) => {
  mkdirSync(join(tree, rel, '..'), { recursive: true });
  if (typeof from === 'string') copyFileSync(from, join(tree, rel));
  else writeFileSync(join(tree, rel), from);
  chmodSync(join(tree, rel), mode);
};
put('usr/bin/app-snapshot-plugin', bin, 0o755);
put(
  'usr/share/man/man8/app-snapshot-plugin.8.gz',
  gzipSync(readFileSync(man), { level: 9 }),
  0o644,
);
put('usr/share/doc/app-snapshot-plugin/README.md', join(ROOT, 'README.md'), 0o644);
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

// 6. deb.
const debRoot = join(WORK, 'deb');
cpSync(tree, debRoot, { recursive: true });
mkdirSync(join(debRoot, 'DEBIAN'));
const installedKb = Math.ceil(Number(run('du', ['-sk', tree]).split('\t')[0]));
writeFileSync(
  join(debRoot, 'DEBIAN/control'),
  [
    `Package: ${NAME}`,
    `Version: ${VERSION}`,
    'Architecture: amd64',
    'Maintainer: app-snapshot-plugin authors <noreply@example.invalid>',
    `Installed-Size: ${installedKb}`,
    'Depends: libc6 (>= 2.28), util-linux',
    'Recommends: xfsprogs',
    'Section: admin',
    'Priority: optional',
    "Description: application-consistent snapshot groups of a VM's disks",
    ' Quiesces applications (scripts or built-in MySQL/MariaDB/SQL Server quiescers), freezes the',
    ' filesystems, creates one snapshot group (ECS API or a local reflink pool), thaws and tags.',
    '',
  ].join('\n'),
);
writeFileSync(
  join(debRoot, 'DEBIAN/postrm'),
  '#!/bin/sh\nset -e\nif [ "$1" = purge ]; then rm -rf /var/log/app-snapshot-plugin /run/app-snapshot-plugin; fi\n',
);
chmodSync(join(debRoot, 'DEBIAN/postrm'), 0o755);
const deb = join(OUT, `${NAME}_${VERSION}_amd64.deb`);
run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', debRoot, deb]);

// 7. rpm, from the same tree (no compile step; the binary must not be stripped: that would drop
// the injected bundle).
const top = join(WORK, 'rpm');
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
    'BuildArch: x86_64',
    'Requires: util-linux',
    'AutoReqProv: no',
    '%global debug_package %{nil}',
    '%global __os_install_post %{nil}',
    '%define _build_id_links none',
    '%description',
    'Quiesces applications, freezes the filesystems, creates one snapshot group, thaws and tags.',
    '%install',
    `cp -a ${tree}/. %{buildroot}/`,
    '%files',
    '%attr(0755,root,root) /usr/bin/app-snapshot-plugin',
    '%attr(0644,root,root) /usr/share/man/man8/app-snapshot-plugin.8.gz',
    '%doc /usr/share/doc/app-snapshot-plugin',
    '%dir %attr(0700,root,root) /etc/app-snapshot-plugin',
    '%dir %attr(0700,root,root) /var/log/app-snapshot-plugin',
    '%postun',
    'if [ "$1" = 0 ]; then rm -rf /var/log/app-snapshot-plugin /run/app-snapshot-plugin; fi',
    '',
  ].join('\n'),
);
run('rpmbuild', ['-bb', '--quiet', '--define', `_topdir ${top}`, spec]);
const rpmName = `${NAME}-${VERSION}-1.x86_64.rpm`;
copyFileSync(join(top, 'RPMS/x86_64', rpmName), join(OUT, rpmName));

// 8. Sizes.
const sizes = Object.fromEntries(
  [cjs, bin, zip, deb, join(OUT, rpmName)].map((f) => [f.slice(OUT.length + 1), statSync(f).size]),
);
writeFileSync(join(OUT, 'sizes.json'), `${JSON.stringify(sizes, null, 2)}\n`);
rmSync(WORK, { recursive: true, force: true });
for (const [f, n] of Object.entries(sizes))
  console.log(`${(n / 2 ** 20).toFixed(1).padStart(6)} MiB  dist/packages/${f}`);
