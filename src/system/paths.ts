// Where the agent keeps state and logs. Each has an environment override for tests and
// unusual layouts; the defaults are documented in the README.

export interface AgentPaths {
  /** Lock, frozen marker, private script copies. Should be on tmpfs (/run). */
  readonly stateDir: string;
  /** One full log per run, written after thaw. */
  readonly logDir: string;
}

export function agentPaths(env: NodeJS.ProcessEnv = process.env): AgentPaths {
  return {
    stateDir: env.APP_SNAPSHOT_STATE_DIR || '/run/app-snapshot-plugin',
    logDir: env.APP_SNAPSHOT_LOG_DIR || '/var/log/app-snapshot-plugin',
  };
}

export const DEFAULT_LAB_ROOT = '/var/lib/app-snapshot-plugin/lab';
