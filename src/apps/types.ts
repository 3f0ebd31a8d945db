/**
 * Application quiescer contract (built-in alternative to the vendor's pre/post scripts).
 * - prepare(layout): connects and checks (flavour, version, privileges, and where its files
 *   are against the group's disks); locks nothing. Throws an AgentError: PreScriptFailed
 *   (exit 9) when the application cannot be quiesced, ConditionCheckFailed (exit 1) when its
 *   layout makes a consistent snapshot impossible.
 * - quiesce(freezeBudgetS): takes the application's lock and resolves once what is on disk is
 *   consistent; the lock expires by itself (server side) a little after the freeze budget
 *   if the agent disappears. Throws PreScriptFailed and holds nothing on failure.
 * - The Held handle: verify() after the thaw says whether the lock was held the whole time
 *   (if not, the snapshot is not AppConsistent); release() ends it and must be safe on every
 *   path and idempotent (PostScriptFailed, exit 10, on failure); afterThaw() does work that must
 *   follow the thaw (SQL Server's METADATA_ONLY backup). Without afterThaw, verify() and
 *   release() are called together (one round trip, not two, while the application waits):
 *   verify() must then judge the lock as it stood before release() took effect (e.g. both on
 *   the one session, whose statements run in order).
 * - close(): drops connections; safe on every path.
 */
export interface AppQuiescer {
  readonly name: string;
  readonly type: 'mysql' | 'sqlserver' | 'postgresql';
  prepare(layout?: GroupLayout): Promise<void>;
  /** After prepare(): what quiesce() would lock, for `check`. */
  plan(): string;
  quiesce(freezeBudgetS: number): Promise<Held>;
  close(): Promise<void>;
  /**
   * After prepare(): the directories the server writes, as it names them, and its process
   * names, so `check` can say which filesystem holds them (in a container too).
   */
  data?(): AppData;
}

export interface AppData {
  readonly processNames: readonly string[];
  readonly paths: readonly { what: string; path: string }[];
  /** The server's host name, as it reports it (tells two containers of one image apart). */
  readonly hostname?: string;
}

/** Where one of a server's directories is, from this host. */
export interface DataPlace {
  readonly path: string;
  /** The server's process (host pid), and whether it runs in a container. */
  readonly pid?: number;
  readonly container: boolean;
  /** The directory in this host's namespace, when a mount here shows it. */
  readonly hostPath?: string;
  /** The filesystem holding it: our mount of it and its type. */
  readonly mountPoint?: string;
  readonly fsType?: string;
  readonly inGroup: boolean;
  readonly note?: string;
}

/** Where the group's disks are, for a quiescer whose mode depends on it (PostgreSQL). */
export interface GroupLayout {
  /** Whether the filesystem holding `path` (links resolved) is on a disk of the group. */
  inGroup(path: string): boolean;
}

/** For `check`: a server's directory, placed through its process (a container's root). */
export interface DataLocator {
  place(path: string, processNames: readonly string[], hostname?: string): DataPlace;
}

export interface Held {
  /** What was locked and how: shown in the log and the JSON result. */
  readonly mode: string;
  /**
   * Recorded under the lock: lock time, binlog/GTID position ... (tag-sized strings). May
   * grow or be corrected in verify() and afterThaw() (MariaDB clean mode's redo check,
   * PostgreSQL's backup_label); tagged after the release.
   */
  readonly facts: Record<string, string>;
  /** performance.now() when the locking statement was sent (the stall starts there). */
  readonly lockSentAt?: number;
  verify(): Promise<boolean>;
  afterThaw?(): Promise<void>;
  release(): Promise<void>;
}
