// SQL Server 2022 (Windows and Linux): T-SQL snapshot backup. On one pinned session:
// SUSPEND_FOR_SNAPSHOT_BACKUP = ON (MODE = COPY_ONLY, so the customer's differential chain is
// untouched) -> freeze, group, thaw -> BACKUP ... WITH METADATA_ONLY (written after the thaw,
// never to a frozen filesystem; it also un-suspends) -> on any failure, = OFF.
import { utcStamp } from '../report/log-format.js';
import { AgentError } from '../errors/errors.js';
import type { SqlServerAppConfig } from './config.js';
import type { SqlConn, SqlConnect } from './sql-conn.js';
import type { AppQuiescer, Held } from './types.js';

const id = (name: string) => `[${name.replace(/]/g, ']]')}]`;
const str = (s: string) => `N'${s.replace(/'/g, "''")}'`;

export class SqlServerQuiescer implements AppQuiescer {
  readonly type = 'sqlserver';
  private conn: SqlConn | undefined;
  private spid = 0;

  constructor(
    readonly name: string,
    private readonly c: SqlServerAppConfig,
    private readonly connect: SqlConnect,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private fail(what: string, e?: unknown): AgentError {
    const why = e instanceof Error ? `: ${e.message}` : '';
    return new AgentError('PreScriptFailed', `app ${this.name} (sqlserver): ${what}${why}`, {
      cause: e,
    });
  }

  private get group(): boolean {
    return this.c.databases.length > 1;
  }

  async prepare(): Promise<void> {
    try {
      this.conn = await this.connect();
    } catch (e) {
      throw this.fail('cannot connect', e);
    }
    const [row] = await this.conn.query(
      "SELECT @@SPID AS spid, CAST(SERVERPROPERTY('ProductMajorVersion') AS int) AS major",
    );
    this.spid = Number(row?.spid);
    if (Number(row?.major) < 16) {
      throw this.fail(
        `SQL Server ${String(row?.major)} has no T-SQL snapshot backup (2022, version 16, and later)`,
      );
    }
  }

  plan(): string {
    return `SUSPEND_FOR_SNAPSHOT_BACKUP (COPY_ONLY) of ${this.c.databases.join(', ')}, then BACKUP ... WITH METADATA_ONLY to ${this.c.metadataDir}`;
  }

  /** The suspension belongs to its session: every step checks it is still the same one. */
  private async sameSession(): Promise<boolean> {
    const [row] = await this.conn!.query('SELECT @@SPID AS spid');
    return Number(row?.spid) === this.spid;
  }

  private async suspend(on: boolean): Promise<void> {
    const dbs = this.c.databases;
    await this.conn!.query(
      this.group
        ? `ALTER SERVER CONFIGURATION SET SUSPEND_FOR_SNAPSHOT_BACKUP = ${on ? `ON (GROUP = (${dbs.map(id).join(', ')}), MODE = COPY_ONLY)` : 'OFF'}`
        : `ALTER DATABASE ${id(dbs[0]!)} SET SUSPEND_FOR_SNAPSHOT_BACKUP = ${on ? 'ON (MODE = COPY_ONLY)' : 'OFF'}`,
    );
  }

  // long: the suspend, its facts and the Held handle (verify, the metadata backup after the
  // thaw, release) share one pinned session; split, they would pass it around for no gain.
  async quiesce(): Promise<Held> {
    const conn = this.conn!;
    try {
      await this.suspend(true);
      if (!(await this.sameSession())) throw new Error('the session changed after the suspend');
    } catch (e) {
      await this.suspend(false).catch(() => undefined);
      throw this.fail('SUSPEND_FOR_SNAPSHOT_BACKUP failed', e);
    }
    const [t] = await conn.query('SELECT CONVERT(varchar(27), SYSDATETIME(), 121) AS t');
    const facts: Record<string, string> = {
      LockTime: String(t?.t ?? ''),
      Databases: this.c.databases.join(','),
    };
    let suspended = true;
    return {
      mode: `SUSPEND_FOR_SNAPSHOT_BACKUP (COPY_ONLY) of ${this.c.databases.join(', ')}`,
      facts,
      verify: async () => {
        try {
          if (!(await this.sameSession())) return false;
          const [row] = await conn.query(
            `SELECT COUNT(*) AS n FROM sys.dm_server_suspend_status WHERE suspend_session_id = ${this.spid}`,
          );
          return Number(row?.n) === this.c.databases.length;
        } catch {
          return false;
        }
      },
      afterThaw: async () => {
        const stamp = utcStamp(this.now());
        const sep = this.c.metadataDir.includes('\\') ? '\\' : '/';
        const file = `${this.c.metadataDir.replace(/[\\/]$/, '')}${sep}${this.name}-${stamp}.bkm`;
        const what = this.group
          ? `GROUP ${this.c.databases.map(id).join(', ')}`
          : `DATABASE ${id(this.c.databases[0]!)}`;
        try {
          // Un-suspends on success.
          await conn.query(
            `BACKUP ${what} TO DISK = ${str(file)} WITH METADATA_ONLY, FORMAT, MEDIADESCRIPTION = ${str(`app-snapshot-plugin ${stamp}`)}`,
          );
          suspended = false;
          facts.BackupMetadataFile = file;
        } catch (e) {
          throw new AgentError(
            'PostScriptFailed',
            `app ${this.name} (sqlserver): BACKUP ... WITH METADATA_ONLY failed: ${(e as Error).message}`,
            { cause: e },
          );
        }
      },
      release: async () => {
        if (!suspended) return;
        suspended = false;
        try {
          await this.suspend(false);
        } catch (e) {
          throw new AgentError(
            'PostScriptFailed',
            `app ${this.name} (sqlserver): SUSPEND_FOR_SNAPSHOT_BACKUP = OFF failed: ${(e as Error).message}`,
            { cause: e },
          );
        }
      },
    };
  }

  async close(): Promise<void> {
    await this.conn?.end().catch(() => undefined);
    this.conn = undefined;
  }
}
