// The man pages, generated from the CLI's own help (so they cannot drift from it) and the
// code's tables (exit codes, fleet exit codes, environment variables): app-snapshot-plugin(8),
// and one page each for the commands an operator runs from elsewhere, fleet and cluster.
import { spawnSync } from 'node:child_process';

const esc = (s) => s.replace(/\\/g, '\\e').replace(/^([.'])/gm, '\\&$1');

const helpOf = (bundle) => (args) =>
  spawnSync(process.execPath, [bundle, ...args, '--help'], { encoding: 'utf8' }).stdout;
const section = (title, text) => `.SH ${title}\n.nf\n${esc(text.trimEnd())}\n.fi\n`;
const date = () => new Date().toISOString().slice(0, 10);
const envSection = (environment, who) => [
  '.SH ENVIRONMENT',
  ...environment
    .filter((v) => who.includes(v.for))
    .flatMap((v) => [
      '.TP',
      `.B ${v.name}`,
      `${esc(v.meaning)}${v.default ? ` (default: ${esc(v.default)})` : ''}`,
    ]),
];

export function manPage(bundle, version, exitCodes, environment) {
  const help = helpOf(bundle);
  return [
    `.TH APP-SNAPSHOT-PLUGIN 8 "${date()}" "app-snapshot-plugin ${version}" "System Administration"`,
    '.SH NAME',
    "app-snapshot-plugin \\- application-consistent snapshot groups of a VM's disks",
    '.SH SYNOPSIS',
    '.B app-snapshot-plugin',
    '[\\-Name=NAME] [\\-PreScriptPath=PATH] [\\-PostScriptPath=PATH] [...]',
    '.br',
    '.B app-snapshot-plugin',
    'check | thaw | groups | lab | decode ...',
    '.SH DESCRIPTION',
    'Validates, runs the pre-script or the built-in database quiescers, freezes the filesystems of the',
    "instance's disks, creates one point-in-time snapshot group, thaws, runs the post-script, waits for",
    'the group and tags every snapshot AppConsistent or FsConsistent. A watchdog process thaws if the',
    'agent dies or the freeze budget runs out.',
    section('OPTIONS', help([])),
    ...['check', 'thaw', 'groups', 'lab', 'decode'].map((c) =>
      section(`COMMAND: ${c.toUpperCase()}`, help([c])),
    ),
    '.SH EXIT STATUS',
    ...exitCodes.flatMap((e) => ['.TP', `.B ${e.code}`, `${esc(e.name)}: ${esc(e.meaning)}`]),
    '.SH FILES',
    '.TP\n/etc/app-snapshot-plugin/apps.json\nbuilt-in quiescers (root only, mode 0600)',
    '.TP\n/run/app-snapshot-plugin/\nlock, frozen marker, private script copies',
    '.TP\n/var/log/app-snapshot-plugin/\none log per run, written after the thaw',
    '.TP\n/var/lib/app-snapshot-plugin/lab/\nthe default lab (local engine)',
    ...envSection(environment, ['agent', 'scripts']),
    '.SH SEE ALSO',
    'app-snapshot-plugin-fleet(8), app-snapshot-plugin-cluster(8), /usr/share/doc/app-snapshot-plugin/',
    '',
  ].join('\n');
}

/** app-snapshot-plugin-fleet(8) or -cluster(8): the command's help and the fleet's exit codes. */
export function commandManPage(bundle, version, command, what, fleetExit, environment) {
  const help = helpOf(bundle);
  const upper = `APP-SNAPSHOT-PLUGIN-${command.toUpperCase()}`;
  return [
    `.TH ${upper} 8 "${date()}" "app-snapshot-plugin ${version}" "System Administration"`,
    '.SH NAME',
    `app-snapshot-plugin-${command} \\- ${what}`,
    '.SH SYNOPSIS',
    `.B app-snapshot-plugin ${command} run`,
    '[\\-Instances=i-1,i-2|\\-InstanceTag=K=V] [\\-Region=R] [agent parameters]',
    section('OPTIONS', help([command, 'run'])),
    '.SH EXIT STATUS',
    ...fleetExit.flatMap((e) => ['.TP', `.B ${e.code}`, `${esc(e.name)}: ${esc(e.meaning)}`]),
    ...envSection(environment, ['fleet']),
    '.SH SEE ALSO',
    'app-snapshot-plugin(8), /usr/share/doc/app-snapshot-plugin/',
    '',
  ].join('\n');
}
