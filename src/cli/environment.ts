// Every environment variable the shipped code reads or sets, in one table: the reference page
// (docs/030) and the man page are generated from it, and a unit test fails when the code names a
// variable this table does not (or the table one the code no longer uses).

export interface EnvVar {
  readonly name: string;
  /** Who reads it: the agent (cli/config.ts), fleet's credential chain, or the scripts. */
  readonly for: 'agent' | 'fleet' | 'scripts';
  readonly default: string;
  readonly meaning: string;
}

export const ENVIRONMENT: readonly EnvVar[] = [
  {
    name: 'APP_SNAPSHOT_STATE_DIR',
    for: 'agent',
    default: '/run/app-snapshot-plugin',
    meaning:
      'the lock, the frozen marker, the private script copies (must allow exec only for the copies; a noexec /run is handled)',
  },
  {
    name: 'APP_SNAPSHOT_LOG_DIR',
    for: 'agent',
    default: '/var/log/app-snapshot-plugin',
    meaning: 'one log per run, written after the thaw, mode 0600',
  },
  {
    name: 'APP_SNAPSHOT_DATA_DIR',
    for: 'agent',
    default: '/var/lib/app-snapshot-plugin',
    meaning:
      'persistent state: the run history that status shows and the metrics are made of (history.jsonl, the last 200 to 400 runs)',
  },
  {
    name: 'APP_SNAPSHOT_METRICS_DIR',
    for: 'agent',
    default: '/var/lib/node_exporter/textfile_collector',
    meaning:
      "node_exporter's textfile collector: app_snapshot_plugin.prom is rewritten there after every run; nothing is written when the directory does not exist",
  },
  {
    name: 'APP_SNAPSHOT_SCHEDULES_DIR',
    for: 'agent',
    default: '/etc/app-snapshot-plugin/schedules',
    meaning: "the schedules' parameter files (NAME.conf, root-only, mode 0600)",
  },
  {
    name: 'APP_SNAPSHOT_SYSTEMD_DIR',
    for: 'agent',
    default: '/etc/systemd/system',
    meaning:
      "where schedule add writes each timer's drop-in (and the template units, when no package installed them)",
  },
  {
    name: 'APP_SNAPSHOT_APPS_CONFIG',
    for: 'agent',
    default: '/etc/app-snapshot-plugin/apps.json',
    meaning: 'the built-in quiescers (-Apps); root-only, mode 0600',
  },
  {
    name: 'APP_SNAPSHOT_OS_RELEASE',
    for: 'agent',
    default: '/etc/os-release',
    meaning: "the OS check's source (centos-release and redhat-release are read beside it)",
  },
  {
    name: 'APP_SNAPSHOT_FREEZE_WITH',
    for: 'agent',
    default: '(ioctl where the runtime can)',
    meaning:
      'fsfreeze: freeze with util-linux fsfreeze even in the shipped executable, which otherwise issues FIFREEZE/FITHAW itself',
  },
  {
    name: 'APP_SNAPSHOT_METADATA_URL',
    for: 'agent',
    default: 'http://100.100.100.200',
    meaning:
      'the metadata service (instance, region, RAM role credentials); set, it also makes -Engine=auto choose ecs',
  },
  {
    name: 'APP_SNAPSHOT_ECS_ENDPOINT',
    for: 'agent',
    default: 'vpc',
    meaning:
      'the ECS API endpoint: vpc (ecs-vpc.<region>.aliyuncs.com), public, or a URL (the emulator)',
  },
  {
    name: 'APP_SNAPSHOT_DISK_BY_ID_DIR',
    for: 'agent',
    default: '/dev/disk/by-id',
    meaning: "where the cloud disks' serials appear (virtio-<disk id>)",
  },
  {
    name: 'APP_SNAPSHOT_CLUSTER_TOKEN',
    for: 'agent',
    default: '',
    meaning:
      "participant mode (set by cluster run through RunCommand's environment, never on a command line): the run's token",
  },
  {
    name: 'APP_SNAPSHOT_FLEET_POLL_MS',
    for: 'fleet',
    default: '1000',
    meaning: "fleet run's first poll interval (tests make it short)",
  },
  {
    name: 'ALIBABA_CLOUD_ACCESS_KEY_ID',
    for: 'fleet',
    default: '',
    meaning:
      "the operator's AccessKey (with ALIBABA_CLOUD_ACCESS_KEY_SECRET, and ALIBABA_CLOUD_SECURITY_TOKEN for STS)",
  },
  {
    name: 'ALIBABA_CLOUD_ACCESS_KEY_SECRET',
    for: 'fleet',
    default: '',
    meaning: 'the AccessKey secret; never printed or logged',
  },
  {
    name: 'ALIBABA_CLOUD_SECURITY_TOKEN',
    for: 'fleet',
    default: '',
    meaning: 'an STS token with the AccessKey',
  },
  {
    name: 'ALIBABA_CLOUD_PROFILE',
    for: 'fleet',
    default: 'the current profile',
    meaning: "which profile of the aliyun CLI's config file",
  },
  {
    name: 'ALIBABA_CLOUD_CONFIG_FILE',
    for: 'fleet',
    default: '~/.aliyun/config.json',
    meaning: "the aliyun CLI's config file",
  },
  {
    name: 'ALIBABA_CLOUD_REGION_ID',
    for: 'fleet',
    default: "the profile's region",
    meaning: '-Region when it is not given',
  },
  {
    name: 'ALIBABA_CLOUD_ECS_METADATA',
    for: 'fleet',
    default: '',
    meaning:
      "a RAM role name: fleet run on an instance takes that role's credentials from the metadata service",
  },
  {
    name: 'APP_SNAPSHOT_SCRIPT_ROLE',
    for: 'scripts',
    default: '',
    meaning: 'set for the pre- and post-script: pre or post',
  },
  {
    name: 'APP_SNAPSHOT_SCRIPT_PATH',
    for: 'scripts',
    default: '',
    meaning: 'set for the scripts: the path as given (they run from a private copy)',
  },
];
