// Which applications the built-in quiescers know, from a root-only file: it holds passwords,
// so a file others can read is refused, and nothing from it is ever printed.
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { ParamsError, conditionFailed } from '../errors/errors.js';

export const DEFAULT_APPS_CONFIG = '/etc/app-snapshot-plugin/apps.json';

export interface MysqlAppConfig {
  readonly type: 'mysql';
  readonly socketPath?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  /** Bound on waiting for the lock (server side lock_wait_timeout and our own guard). */
  readonly lockWaitTimeoutSeconds?: number;
  /** MariaDB: checkpoint before and under the lock, so a restore needs no redo replay. */
  readonly clean?: boolean;
  /** MySQL FTWRL mode: what to do about long-running queries that would stall it. */
  readonly longQueries?: 'abort' | 'kill';
  readonly longQuerySeconds?: number;
  /** MySQL: take FTWRL even when every table is InnoDB (exact binlog coordinates). */
  readonly exactCoordinates?: boolean;
}

export interface SqlServerAppConfig {
  readonly type: 'sqlserver';
  readonly server: string;
  readonly port?: number;
  readonly user: string;
  readonly password: string;
  readonly databases: string[];
  /** Where BACKUP ... WITH METADATA_ONLY writes its .bkm file (on the server). */
  readonly metadataDir: string;
  readonly trustServerCertificate?: boolean;
}

export interface PostgresAppConfig {
  readonly type: 'postgresql';
  /** The server's socket directory (e.g. /var/run/postgresql), or host and port. */
  readonly socketDir?: string;
  readonly host?: string;
  readonly port?: number;
  readonly user?: string;
  readonly password?: string;
  readonly database?: string;
  /**
   * auto (default): atomic when the data directory, pg_wal and every tablespace are on disks
   * of the group, else backup. atomic: refuse unless they are. backup: pg_backup_start/stop.
   */
  readonly mode?: 'auto' | 'atomic' | 'backup';
  /** backup mode: pg_backup_stop waits until the WAL up to the backup's end is archived. */
  readonly waitForArchive?: boolean;
}

export type AppConfig = MysqlAppConfig | SqlServerAppConfig | PostgresAppConfig;

export interface AppsFile {
  readonly apps: Record<string, AppConfig>;
}

/** Reads the file if it is a regular file of ours that group and others cannot read. */
export function loadAppsConfig(path: string, ownerUid = 0): AppsFile {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    throw conditionFailed(
      `apps config ${path}: cannot open it (${(e as NodeJS.ErrnoException).code})`,
    );
  }
  let text: string;
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw conditionFailed(`apps config ${path} is not a regular file`);
    if (st.uid !== ownerUid)
      throw conditionFailed(`apps config ${path} must be owned by root (uid ${st.uid})`);
    if (st.mode & 0o077) {
      throw conditionFailed(
        `apps config ${path} holds credentials: its mode ${(st.mode & 0o777).toString(8)} lets others read it (chmod 600)`,
      );
    }
    text = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  let parsed: AppsFile;
  try {
    parsed = JSON.parse(text) as AppsFile;
  } catch (e) {
    // The message of a JSON error can quote the file: keep it out (passwords).
    throw conditionFailed(
      `apps config ${path} is not valid JSON`,
      e instanceof Error ? undefined : e,
    );
  }
  for (const [name, app] of Object.entries(parsed.apps ?? {})) checkApp(path, name, app);
  return { apps: parsed.apps ?? {} };
}

/** The kinds of built-in quiescer, as the config names them and as people do (-Apps' help). */
export const APP_TYPES: Record<AppConfig['type'], string> = {
  mysql: 'MySQL/MariaDB',
  postgresql: 'PostgreSQL',
  sqlserver: 'SQL Server 2022',
};

function checkApp(path: string, name: string, app: AppConfig): void {
  const bad = (what: string) => conditionFailed(`apps config ${path}: app ${name}: ${what}`);
  if (app.type === 'mysql') {
    if (!app.socketPath && !app.host) throw bad('needs socketPath or host');
  } else if (app.type === 'postgresql') {
    if (app.mode && !['auto', 'atomic', 'backup'].includes(app.mode))
      throw bad(`mode ${app.mode} is not auto, atomic or backup`);
  } else if (app.type === 'sqlserver') {
    for (const k of ['server', 'user', 'password', 'metadataDir'] as const)
      if (!app[k]) throw bad(`needs ${k}`);
    if (!Array.isArray(app.databases) || !app.databases.length) throw bad('needs databases');
  } else {
    throw bad(
      `unknown type ${(app as { type: string }).type} (${Object.keys(APP_TYPES).join(', ')})`,
    );
  }
}

/** The apps a run asked for (-Apps): every name must be configured. */
export function selectApps(file: AppsFile, names: readonly string[]): [string, AppConfig][] {
  const wanted = names.includes('all') ? Object.keys(file.apps) : names;
  return wanted.map((n) => {
    const app = file.apps[n];
    if (!app) {
      throw new ParamsError(
        `-Apps names ${n}, which the apps config does not define (defined: ${Object.keys(file.apps).join(', ') || 'none'})`,
        'Apps',
      );
    }
    return [n, app];
  });
}
