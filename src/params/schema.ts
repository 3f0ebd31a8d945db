// One declarative table of run parameters: parsing, validation, --help and the docs' (docs/030_parameters-and-commands.md)
// parameter table are all generated from it.

export type ParamType = 'string' | 'bool' | 'int' | 'list' | 'enum';

export interface ParamSpec {
  /** Go-flag spelling, as the plugin manager passes it: -Name=x. */
  readonly name: string;
  readonly type: ParamType;
  readonly help: string;
  readonly default?: string | number | boolean;
  readonly required?: boolean;
  readonly min?: number;
  readonly max?: number;
  readonly choices?: readonly string[];
  /** Other spellings accepted for compatibility (e.g. a typo in the vendor's own docs). */
  readonly aliases?: readonly string[];
  /** 'vendor' mirrors the vendor plugin; 'ours' is an extension of this agent. */
  readonly origin: 'vendor' | 'ours';
}

export const DEFAULT_POOL = '/var/lib/app-snapshot-plugin/lab/pool';

export const PARAMS = [
  {
    name: 'Name',
    type: 'string',
    required: true,
    origin: 'vendor',
    help: 'Snapshot group name: 2-128 characters, starts with a letter, letters, digits, ":", "_", ".", "-"; not http:// or https://.',
  },
  {
    name: 'Description',
    type: 'string',
    default: '',
    origin: 'vendor',
    help: 'Snapshot group description: 2-256 characters, not http:// or https://.',
  },
  {
    name: 'RamRoleName',
    type: 'string',
    default: '',
    origin: 'vendor',
    help: 'RAM role attached to the instance (ecs engine; ignored by the local engine).',
  },
  {
    name: 'ExcludeDiskId',
    type: 'list',
    default: '',
    origin: 'vendor',
    help: 'Disk ids to leave out of the group; several may be given separated by commas or spaces.',
  },
  {
    name: 'InstantAccess',
    type: 'bool',
    default: false,
    origin: 'vendor',
    help: 'Enable instant access for the snapshots.',
  },
  {
    name: 'InstantAccessRetentionDays',
    type: 'int',
    default: 1,
    min: 1,
    max: 65536,
    aliases: ['InstantAccessRentalDays'],
    origin: 'vendor',
    help: 'Days instant access is kept (1-65536).',
  },
  {
    name: 'PreScriptPath',
    type: 'string',
    default: '',
    origin: 'vendor',
    help: 'Application freeze script, e.g. /tmp/prescript.sh: a regular file owned by root, mode 0700, one link. Missing or invalid: the snapshot is FsConsistent.',
  },
  {
    name: 'PostScriptPath',
    type: 'string',
    default: '',
    origin: 'vendor',
    help: 'Application thaw script, e.g. /tmp/postscript.sh; same rules. Runs whenever the pre-script started.',
  },
  {
    name: 'EnableFsFreeze',
    type: 'bool',
    default: true,
    origin: 'vendor',
    help: 'Freeze the filesystems on the group disks while the snapshot point is taken.',
  },
  {
    name: 'TimeoutInSeconds',
    type: 'int',
    default: 30,
    min: 1,
    max: 600,
    origin: 'vendor',
    help: 'Freeze budget: the watchdog thaws after this many seconds whatever happens (1-600).',
  },
  {
    name: 'ScriptTimeoutInSeconds',
    type: 'int',
    default: 1800,
    min: 1,
    max: 86400,
    origin: 'vendor',
    help: "Timeout of each script; on expiry the script's whole process group is killed (1-86400).",
  },
  {
    name: 'GroupTimeoutInSeconds',
    type: 'int',
    default: 600,
    min: 1,
    max: 86400,
    origin: 'ours',
    help: 'How long to wait for the snapshot group to be accomplished after the thaw (exit 6 past it).',
  },
  {
    name: 'RetentionDays',
    type: 'int',
    default: 0,
    min: 0,
    max: 65536,
    origin: 'ours',
    help: 'Days the cloud keeps every snapshot of the group, counted from its creation (1-65536; it can only be extended): set after the wait, so the snapshots expire even if this agent never runs again. 0: kept until deleted. A failure to set it is exit 17.',
  },
  {
    name: 'KeepLast',
    type: 'int',
    default: 0,
    min: 0,
    max: 1000000,
    origin: 'ours',
    help: 'After a successful run (exit 0 only), prune the groups of this -Name this agent made, keeping the N newest (as groups prune --keep-last). 0: not this rule.',
  },
  {
    name: 'KeepHourly',
    type: 'int',
    default: 0,
    min: 0,
    max: 1000000,
    origin: 'ours',
    help: 'After a successful run (exit 0 only), prune the groups of this -Name this agent made, keeping the newest of each of the last N hours (as groups prune --keep-hourly). 0: not this rule.',
  },
  {
    name: 'KeepDaily',
    type: 'int',
    default: 0,
    min: 0,
    max: 1000000,
    origin: 'ours',
    help: 'After a successful run (exit 0 only), prune the groups of this -Name this agent made, keeping the newest of each of the last N days (UTC) (as groups prune --keep-daily). 0: not this rule.',
  },
  {
    name: 'KeepWeekly',
    type: 'int',
    default: 0,
    min: 0,
    max: 1000000,
    origin: 'ours',
    help: 'After a successful run (exit 0 only), prune the groups of this -Name this agent made, keeping the newest of each of the last N ISO weeks (as groups prune --keep-weekly). 0: not this rule.',
  },
  {
    name: 'KeepMonthly',
    type: 'int',
    default: 0,
    min: 0,
    max: 1000000,
    origin: 'ours',
    help: 'After a successful run (exit 0 only), prune the groups of this -Name this agent made, keeping the newest of each of the last N months (as groups prune --keep-monthly). 0: not this rule.',
  },
  {
    name: 'KeepYearly',
    type: 'int',
    default: 0,
    min: 0,
    max: 1000000,
    origin: 'ours',
    help: 'After a successful run (exit 0 only), prune the groups of this -Name this agent made, keeping the newest of each of the last N years (as groups prune --keep-yearly). 0: not this rule.',
  },
  {
    name: 'KeepWithin',
    type: 'string',
    default: '',
    origin: 'ours',
    help: 'After a successful run, keep every group of this -Name made within this span of the newest (1y6m, 30d, 2d12h; as groups prune --keep-within).',
  },
  {
    name: 'KeepTag',
    type: 'list',
    default: '',
    origin: 'ours',
    help: 'After a successful run, keep every group of this -Name whose snapshots carry one of these tags (KEY=VALUE, comma-separated).',
  },
  {
    name: 'DeleteUnclaimedGroup',
    type: 'bool',
    default: false,
    origin: 'ours',
    help: 'When CreateSnapshotGroup got no answer but a group came of it (crash-consistent at best, untagged, reported by id): delete that group instead of keeping it.',
  },
  {
    name: 'EnableWriters',
    type: 'bool',
    default: true,
    origin: 'vendor',
    help: 'Windows only (VSS writers); accepted and ignored on Linux.',
  },
  {
    name: 'Apps',
    type: 'list',
    default: '',
    origin: 'ours',
    help: 'Built-in quiescers to use (MySQL/MariaDB, PostgreSQL, SQL Server 2022), by name from the root-only apps config (/etc/app-snapshot-plugin/apps.json), or all.',
  },
  {
    name: 'Engine',
    type: 'enum',
    default: 'auto',
    choices: ['auto', 'local', 'ecs'],
    origin: 'ours',
    help: 'Snapshot-group engine: local (image-backed loop disks in a reflink pool), ecs (cloud API), auto (ecs on an ECS instance, else local).',
  },
  {
    name: 'ClusterCoordinator',
    type: 'string',
    default: '',
    origin: 'ours',
    help: "Participant mode (set by `cluster run`): host:port of the coordinator this run joins; the group is created by it over every instance's disks. The per-run token comes in APP_SNAPSHOT_CLUSTER_TOKEN, never on the command line.",
  },
  {
    name: 'ClusterFingerprint',
    type: 'string',
    default: '',
    origin: 'ours',
    help: "Participant mode: the SHA-256 fingerprint of the coordinator's per-run TLS certificate (AB:CD:...); anything else is refused before a byte is sent.",
  },
  {
    name: 'Pool',
    type: 'string',
    default: DEFAULT_POOL,
    origin: 'ours',
    help: 'Local engine: the pool directory (see `lab up`).',
  },
] as const satisfies readonly ParamSpec[];

export type ParamName = (typeof PARAMS)[number]['name'];

/** `PreScriptPath` -> `pre-script-path`, the long-flag spelling. */
export function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

/** Key normalisation shared by every spelling: case and dashes do not matter. */
export function normKey(key: string): string {
  return key.replace(/-/g, '').toLowerCase();
}

const BY_KEY = new Map<string, ParamSpec>();
for (const p of PARAMS as readonly ParamSpec[]) {
  for (const n of [p.name, ...(p.aliases ?? [])]) BY_KEY.set(normKey(n), p);
}

export function findParam(key: string): ParamSpec | undefined {
  return BY_KEY.get(normKey(key));
}
