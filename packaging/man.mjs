// The man page, generated from the CLI's own help (so it cannot drift from it) and the
// exit-code table.
import { spawnSync } from 'node:child_process';

const esc = (s) => s.replace(/\\/g, '\\e').replace(/^([.'])/gm, '\\&$1');

export function manPage(bundle, version, exitCodes) {
  const help = (args) =>
    spawnSync(process.execPath, [bundle, ...args, '--help'], { encoding: 'utf8' }).stdout;
  const section = (title, text) => `.SH ${title}\n.nf\n${esc(text.trimEnd())}\n.fi\n`;
  return [
    `.TH APP-SNAPSHOT-PLUGIN 8 "${new Date().toISOString().slice(0, 10)}" "app-snapshot-plugin ${version}" "System Administration"`,
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
    '.SH ENVIRONMENT',
    'APP_SNAPSHOT_STATE_DIR, APP_SNAPSHOT_LOG_DIR, APP_SNAPSHOT_APPS_CONFIG, APP_SNAPSHOT_METADATA_URL,',
    'APP_SNAPSHOT_ECS_ENDPOINT, APP_SNAPSHOT_DISK_BY_ID_DIR override the defaults.',
    '',
  ].join('\n');
}
