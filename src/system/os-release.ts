// Supported operating systems. The vendor's documentation names CentOS >= 7.6, Ubuntu >= 18.04 and Alibaba Cloud
// Linux 2.1903+; we add current Debian and RHEL-family releases that ship fsfreeze (util-linux)
// and FIFREEZE-capable ext4/xfs.

export interface OsInfo {
  readonly id: string;
  readonly version: string;
  readonly pretty: string;
  readonly idLike: string[];
}

export const SUPPORTED_OS: readonly { id: string; label: string; min: string }[] = [
  { id: 'centos', label: 'CentOS', min: '7.6' },
  { id: 'ubuntu', label: 'Ubuntu', min: '18.04' },
  { id: 'alinux', label: 'Alibaba Cloud Linux', min: '2.1903' },
  { id: 'debian', label: 'Debian', min: '10' },
  { id: 'rhel', label: 'Red Hat Enterprise Linux', min: '7.6' },
  { id: 'rocky', label: 'Rocky Linux', min: '8' },
  { id: 'almalinux', label: 'AlmaLinux', min: '8' },
  { id: 'ol', label: 'Oracle Linux', min: '7.6' },
  { id: 'anolis', label: 'Anolis OS', min: '8' },
  { id: 'fedora', label: 'Fedora', min: '38' },
  { id: 'sles', label: 'SUSE Linux Enterprise Server', min: '15' },
  { id: 'opensuse-leap', label: 'openSUSE Leap', min: '15' },
];

export function parseOsRelease(text: string): OsInfo {
  const kv = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m) kv.set(m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, '$2'));
  }
  return {
    id: kv.get('ID') ?? 'unknown',
    version: kv.get('VERSION_ID') ?? '',
    pretty: kv.get('PRETTY_NAME') ?? kv.get('NAME') ?? 'unknown',
    idLike: (kv.get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean),
  };
}

/** Numeric, dot-separated comparison: "7.10" > "7.6". */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map((x) => parseInt(x, 10) || 0);
  const pb = b.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/**
 * Returns undefined when supported, else the reason. `redhatRelease` refines CentOS/RHEL 7,
 * whose os-release says only "7" (e.g. "CentOS Linux release 7.6.1810 (Core)").
 */
export function osSupportProblem(os: OsInfo, redhatRelease?: string): string | undefined {
  const entry = SUPPORTED_OS.find((s) => s.id === os.id);
  if (!entry) {
    return `${os.pretty} (ID=${os.id}) is not a supported operating system`;
  }
  let version = os.version;
  const precise = redhatRelease?.match(/release (\d+(?:\.\d+)*)/)?.[1];
  if (precise && precise.startsWith(version)) version = precise;
  if (!version || compareVersions(version, entry.min) < 0) {
    return `${os.pretty} is older than the supported ${entry.label} ${entry.min}`;
  }
  return undefined;
}
