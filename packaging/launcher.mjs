// The plugin zip's runPath: a POSIX sh launcher in front of the executable. The plugin manager
// may push the zip to any instance, and where the executable cannot run (no glibc, glibc older
// than 2.17, another architecture) the loader's own message ("version `GLIBC_2.17' not found",
// "No such file or directory" for a present file) explains nothing. The launcher says it in one
// line, exits 1 (ConditionCheckFailed: unsupported OS), and otherwise execs the agent in place
// (same pid, so the plugin manager's timeout kill reaches the agent). It forks nothing on the
// normal path. The deb and rpm need no launcher: their dependencies keep them off such systems.

/** The ELF interpreter each executable names (readelf -l), and how users call the machine. */
const LOADER = {
  x64: { path: '/lib64/ld-linux-x86-64.so.2', machine: 'x86_64 (amd64)' },
  arm64: { path: '/lib/ld-linux-aarch64.so.1', machine: 'arm64 (aarch64)' },
};

// The x64 executable is Bun's "baseline" build: it needs SSE4.2 and POPCNT (x86-64-v2; every
// server CPU since 2008). Without them it dies of SIGILL ("Illegal instruction"), as it does
// under QEMU's default qemu64 CPU model. Read fork-free from the first "flags" line.
const CPU_CHECK = `if [ -r /proc/cpuinfo ]; then
  while IFS= read -r line; do case $line in flags*) break ;; esac; done < /proc/cpuinfo
  case $line in flags*)
    for need in sse4_2 popcnt; do
      case " \${line#*:} " in *" $need "*) ;;
        *) fail "it needs an x86-64 CPU with SSE4.2 and POPCNT (x86-64-v2); this one has no $need (a virtual machine with a minimal CPU model, e.g. QEMU's qemu64?)" ;;
      esac
    done ;;
  esac
fi
`;

/** The launcher for `arch`; `agent` is the executable's path relative to the launcher. */
export function launcher(arch, agent) {
  const l = LOADER[arch];
  if (!l) throw new Error(`unknown architecture ${arch}`);
  return `#!/bin/sh
# app-snapshot-plugin launcher (${arch}): explains in one line where the agent cannot run.
case $0 in */*) here=\${0%/*} ;; *) here=. ;; esac
agent=$here/${agent}
fail() {
  echo "app-snapshot-plugin: cannot run here: $1 (exit 1, ConditionCheckFailed)" >&2
  exit 1
}
[ -e ${l.path} ] || fail "it needs a ${l.machine} Linux with glibc >= 2.17, and ${l.path} is missing (another architecture, or a musl system such as Alpine)"
# glibc before 2.34 ships libc-2.NN.so beside libc.so.6; 2.34 and later are new enough anyway.
for old in /lib64/libc-2.[0-9].so /lib64/libc-2.1[0-6].so /lib/libc-2.[0-9].so /lib/libc-2.1[0-6].so /lib/*-linux-gnu/libc-2.[0-9].so /lib/*-linux-gnu/libc-2.1[0-6].so; do
  [ -e "$old" ] && fail "it needs glibc >= 2.17 (CentOS 7, Ubuntu 14.04 or later); this system has \${old##*/}"
done
${arch === 'x64' ? CPU_CHECK : ''}[ -x "$agent" ] || chmod 0755 "$agent" 2>/dev/null || fail "$agent is missing or not executable"
exec "$agent" "$@"
`;
}
