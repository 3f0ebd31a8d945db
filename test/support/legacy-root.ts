// A CentOS 7-like system to run the shipped executable on, built from registry and Debian
// packages only: glibc 2.17 and libstdc++ 6.0.19 (CentOS 7's levels, from the npm package
// @napi-rs/cross-toolchain-x64-target-x86_64), static busybox and bash from Debian for the
// tools and scripts, and CentOS 7.9's or Alibaba Cloud Linux 2's release files. The agent is
// entered with `unshare -m` + chroot, under a seccomp filter that answers every system call
// newer than Linux 3.10 with ENOSYS (kernel310.c): what a 3.10 kernel does. Needs root, gcc
// with a static libc (libc6-dev), busybox-static and bash-static.
//
// What this does not reproduce: behaviour of old syscalls that changed after 3.10 (flags a
// 3.10 kernel rejects with EINVAL, e.g. O_TMPFILE or MADV_FREE), and the CentOS kernel's
// backports. The filesystems are the host's lab disks (the freeze is real, by the host kernel).
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
// @ts-expect-error -- plain ESM JavaScript shared with the packaging scripts
import { cacheDir, payload } from '../../packaging/registry.mjs';

export type LegacyOs = 'centos7' | 'alinux2';

const RELEASES: Record<LegacyOs, Record<string, string>> = {
  centos7: {
    'etc/centos-release': 'CentOS Linux release 7.9.2009 (Core)\n',
    'etc/os-release': [
      'NAME="CentOS Linux"',
      'VERSION="7 (Core)"',
      'ID="centos"',
      'ID_LIKE="rhel fedora"',
      'VERSION_ID="7"',
      'PRETTY_NAME="CentOS Linux 7 (Core)"',
      '',
    ].join('\n'),
  },
  alinux2: {
    'etc/redhat-release':
      'Alibaba Cloud Linux (Aliyun Linux) release 2.1903 LTS (Hunting Beagle)\n',
    'etc/os-release': [
      'NAME="Alibaba Cloud Linux (Aliyun Linux)"',
      'VERSION="2.1903 LTS (Hunting Beagle)"',
      'ID="alinux"',
      'ID_LIKE="rhel fedora centos anolis"',
      'VERSION_ID="2.1903"',
      'PRETTY_NAME="Alibaba Cloud Linux (Aliyun Linux) 2.1903 LTS (Hunting Beagle)"',
      '',
    ].join('\n'),
  },
};

/** busybox applets the agent and the test scripts use, where CentOS 7 keeps them. */
const APPLETS: Record<string, string> = {
  'usr/bin': 'sh env cat sleep sync printf echo ls rm mkdir touch date true false id grep',
  'usr/sbin': 'fsfreeze blockdev',
};

export const AGENT_IN_ROOT = '/usr/bin/app-snapshot-plugin';
export const KERNEL310 = '/usr/libexec/kernel310';

/** glibc 2.17's lib directory, unpacked once into the cache. */
export function glibc217(): string {
  const dir = join(cacheDir() as string, 'glibc-2.17-lib');
  if (existsSync(join(dir, 'libc-2.17.so'))) return dir;
  const pkg = payload('glibc-2.17') as string;
  const tmp = `${dir}.part-${process.pid}`;
  mkdirSync(tmp, { recursive: true });
  must('tar', [
    '-xJf',
    join(pkg, 'x86_64-unknown-linux-gnu.tar.xz'),
    '-C',
    tmp,
    '--strip-components=4',
    './x86_64-unknown-linux-gnu/sysroot/lib',
  ]);
  rmSync(dir, { recursive: true, force: true });
  renameSync(tmp, dir);
  return dir;
}

export class LegacyRoot {
  readonly dir: string;

  /** A fresh root under /tmp/asp-legacy-*, with `agent` installed at AGENT_IN_ROOT. */
  constructor(agent: string, os: LegacyOs = 'centos7') {
    this.dir = mkdtempSync('/tmp/asp-legacy-');
    const lib64 = this.path('usr/lib64');
    mkdirSync(lib64, { recursive: true });
    must('cp', ['-a', `${glibc217()}/.`, lib64]);
    for (const d of [
      'usr/bin',
      'usr/sbin',
      'usr/libexec',
      'etc',
      'proc',
      'sys',
      'dev',
      'tmp',
      'run',
      'var/tmp',
      'root',
    ])
      mkdirSync(this.path(d), { recursive: true });
    // CentOS 7's merged /usr.
    for (const [link, to] of [
      ['lib64', 'usr/lib64'],
      ['lib', 'usr/lib64'],
      ['bin', 'usr/bin'],
      ['sbin', 'usr/sbin'],
    ])
      symlinkSync(to!, this.path(link!));
    copyFileSync('/bin/busybox', this.path('usr/bin/busybox'));
    chmodSync(this.path('usr/bin/busybox'), 0o755);
    for (const [dir, names] of Object.entries(APPLETS))
      for (const n of names.split(' ')) symlinkSync('/usr/bin/busybox', this.path(`${dir}/${n}`));
    copyFileSync('/bin/bash-static', this.path('usr/bin/bash'));
    chmodSync(this.path('usr/bin/bash'), 0o755);
    must('gcc', [
      '-static',
      '-O2',
      '-o',
      this.path(KERNEL310.slice(1)),
      join(import.meta.dirname, 'legacy/kernel310.c'),
    ]);
    copyFileSync(agent, this.path(AGENT_IN_ROOT.slice(1)));
    chmodSync(this.path(AGENT_IN_ROOT.slice(1)), 0o755);
    writeFileSync(this.path('etc/passwd'), 'root:x:0:0:root:/root:/bin/bash\n');
    writeFileSync(this.path('etc/group'), 'root:x:0:\n');
    writeFileSync(this.path('etc/hosts'), '127.0.0.1 localhost\n');
    writeFileSync(this.path('etc/nsswitch.conf'), 'passwd: files\ngroup: files\nhosts: files\n');
    this.setOs(os);
  }

  path(rel: string): string {
    return join(this.dir, rel);
  }

  setOs(os: LegacyOs): void {
    for (const f of ['etc/centos-release', 'etc/redhat-release', 'etc/os-release'])
      rmSync(this.path(f), { force: true });
    for (const [f, text] of Object.entries(RELEASES[os])) writeFileSync(this.path(f), text);
  }

  /**
   * The argv that runs `command` (a path inside the root) in it under the 3.10 filter, with
   * /dev, /proc, /sys and the host directories `shared` (a lab root, a socket directory) at
   * the same paths. Everything mounted for it vanishes with its private mount namespace; the
   * process keeps the pid it is spawned with (unshare, sh and chroot all exec).
   */
  argv(command: string, shared: readonly string[] = []): string[] {
    const r = this.dir;
    const script = [
      'set -e',
      `mount --rbind /dev ${r}/dev`,
      `mount -t proc proc ${r}/proc`,
      `mount --rbind /sys ${r}/sys`,
      `mount -t tmpfs -o mode=1777 tmpfs ${r}/tmp`,
      `mount -t tmpfs -o mode=755,nosuid,nodev tmpfs ${r}/run`,
      ...shared.flatMap((d) => [`mkdir -p ${r}${d}`, `mount --rbind ${d} ${r}${d}`]),
      `exec /usr/sbin/chroot ${r} ${KERNEL310} ${command} "$@"`,
    ].join('\n');
    return ['/usr/bin/unshare', '-m', '--propagation', 'private', '/bin/sh', '-c', script, 'sh'];
  }

  remove(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function must(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
}
