// Everything the agent takes from its environment, read once here at the edge and passed
// down typed. The variables are for tests, the emulator and unusual layouts; the defaults
// are what a real instance uses (docs/030_parameters-and-commands.md lists them, from cli/environment.ts).
import { DEFAULT_APPS_CONFIG } from '../apps/config.js';
import { DEFAULT_METRICS_DIR, type HistoryPaths } from '../history/index.js';
import type { SchedulePaths } from '../schedule/index.js';
import type { EngineConfig } from '../engines/index.js';
import type { AgentPaths } from '../system/paths.js';

export interface AgentConfig {
  readonly paths: AgentPaths;
  readonly engine: EngineConfig;
  /** The run history and the metrics written from it after every run. */
  readonly history: HistoryPaths;
  /** Schedules: their parameter files, and where their systemd drop-ins go. */
  readonly schedules: SchedulePaths;
  /** The root-only apps config (-Apps). */
  readonly appsConfigPath: string;
  /** /etc/os-release, or a stand-in; centos-release and redhat-release are read beside it. */
  readonly osReleasePath: string;
  /** fleet run: first poll interval and retry delay (tests make them short); default 1 s/5 s. */
  readonly fleetPollMs?: number;
  /** Participant mode: the per-run token (env, never a command-line word). */
  readonly clusterToken: string;
  /** The caller's environment, handed to scripts (with the system PATH) and tools. */
  readonly env: NodeJS.ProcessEnv;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): AgentConfig {
  return {
    paths: {
      stateDir: env.APP_SNAPSHOT_STATE_DIR || '/run/app-snapshot-plugin',
      logDir: env.APP_SNAPSHOT_LOG_DIR || '/var/log/app-snapshot-plugin',
    },
    history: {
      dataDir: env.APP_SNAPSHOT_DATA_DIR || '/var/lib/app-snapshot-plugin',
      metricsDir: env.APP_SNAPSHOT_METRICS_DIR || DEFAULT_METRICS_DIR,
    },
    schedules: {
      dir: env.APP_SNAPSHOT_SCHEDULES_DIR || '/etc/app-snapshot-plugin/schedules',
      systemdDir: env.APP_SNAPSHOT_SYSTEMD_DIR || '/etc/systemd/system',
    },
    engine: {
      ...(env.APP_SNAPSHOT_METADATA_URL ? { metadataUrl: env.APP_SNAPSHOT_METADATA_URL } : {}),
      ...(env.APP_SNAPSHOT_ECS_ENDPOINT ? { ecsEndpoint: env.APP_SNAPSHOT_ECS_ENDPOINT } : {}),
      ...(env.APP_SNAPSHOT_DISK_BY_ID_DIR ? { diskByIdDir: env.APP_SNAPSHOT_DISK_BY_ID_DIR } : {}),
    },
    appsConfigPath: env.APP_SNAPSHOT_APPS_CONFIG || DEFAULT_APPS_CONFIG,
    osReleasePath: env.APP_SNAPSHOT_OS_RELEASE || '/etc/os-release',
    clusterToken: env.APP_SNAPSHOT_CLUSTER_TOKEN ?? '',
    ...(Number(env.APP_SNAPSHOT_FLEET_POLL_MS) > 0
      ? { fleetPollMs: Number(env.APP_SNAPSHOT_FLEET_POLL_MS) }
      : {}),
    env,
  };
}
