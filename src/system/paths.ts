// Where the agent keeps state and logs (read from the environment in cli/config.ts).

export interface AgentPaths {
  /** Lock, frozen marker, private script copies. Should be on tmpfs (/run). */
  readonly stateDir: string;
  /** One full log per run, written after thaw. */
  readonly logDir: string;
}

export const DEFAULT_LAB_ROOT = '/var/lib/app-snapshot-plugin/lab';
