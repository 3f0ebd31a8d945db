// MySQL and MariaDB, quiesced for exactly the frozen window (MariaDB's BACKUP STAGE,
// https://mariadb.com/kb/en/backup-stage/; MySQL's LOCK INSTANCE FOR BACKUP,
// https://dev.mysql.com/doc/refman/8.4/en/lock-instance-for-backup.html):
// MariaDB 10.4+: BACKUP STAGE START + BLOCK_COMMIT (commits wait, reads and open transactions
// go on); MySQL 8: LOCK INSTANCE FOR BACKUP when every table is InnoDB, otherwise FTWRL behind
// guard rails. The lock lives on a dedicated, idle "holder" session whose server-side
// wait_timeout is a dead-man switch; a separate "control" session watches and can KILL.
import { AgentError } from '../errors/errors.js';
import type { MysqlAppConfig } from './config.js';
import {
  cleanAfterThaw,
  cleanOutcome,
  logMark,
  type LogMark,
  noRedoSince,
  purgeAndCheckpoint,
} from './mysql-clean.js';
import type { SqlConn, SqlConnect } from './sql-conn.js';
import type { AppData, AppQuiescer, Held } from './types.js';

type Mode = 'backup-stage' | 'instance-lock' | 'ftwrl';

// 8.4 removed SHOW MASTER STATUS; MariaDB has no SHOW BINARY LOG STATUS.
const STATUS_SQL = ['SHOW MASTER STATUS', 'SHOW BINARY LOG STATUS'];

const first = (rows: Record<string, unknown>[]) => rows[0] ?? {};

export class MysqlQuiescer implements AppQuiescer {
  readonly type = 'mysql';
  private holder: SqlConn | undefined;
  private control: SqlConn | undefined;
  private flavour: { mariadb: boolean; version: string; major: number; minor: number } | undefined;
  private mode: Mode = 'ftwrl';
  private lost: Error | undefined;
  private datadir = '';
  private hostname = '';
  /** The binlog status statement this server answers, once one has. */
  private statusSql: string | undefined;

  constructor(
    readonly name: string,
    private readonly c: MysqlAppConfig,
    private readonly connect: SqlConnect,
  ) {}

  private fail(what: string, e?: unknown): AgentError {
    const why = e instanceof Error ? `: ${e.message}` : '';
    return new AgentError('PreScriptFailed', `app ${this.name} (mysql): ${what}${why}`, {
      cause: e,
    });
  }

  async prepare(): Promise<void> {
    try {
      this.holder = await this.connect();
      this.control = await this.connect();
    } catch (e) {
      throw this.fail('cannot connect', e);
    }
    this.holder.onLost((e) => (this.lost ??= e));
    const v = first(
      await this.control.query('SELECT VERSION() AS v, @@datadir AS d, @@hostname AS h'),
    );
    const version = String(v.v ?? '');
    this.datadir = String(v.d ?? '').replace(/(.)\/+$/, '$1');
    this.hostname = String(v.h ?? '');
    const [major = 0, minor = 0] = version.split(/[.-]/).map((x) => parseInt(x, 10));
    const mariadb = /mariadb/i.test(version);
    this.flavour = { mariadb, version, major, minor };
    if (mariadb) {
      this.mode = major > 10 || (major === 10 && minor >= 4) ? 'backup-stage' : 'ftwrl';
    } else {
      const nonInnodb = first(
        await this.control.query(
          "SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND ENGINE <> 'InnoDB' AND TABLE_SCHEMA NOT IN ('mysql', 'sys', 'performance_schema', 'information_schema')",
        ),
      );
      this.mode =
        major >= 8 && Number(nonInnodb.n) === 0 && !this.c.exactCoordinates
          ? 'instance-lock'
          : 'ftwrl';
    }
  }

  data(): AppData {
    return {
      processNames: ['mariadbd', 'mysqld'],
      paths: this.datadir ? [{ what: 'the data directory', path: this.datadir }] : [],
      ...(this.hostname ? { hostname: this.hostname } : {}),
    };
  }

  plan(): string {
    const what = {
      'backup-stage':
        'BACKUP STAGE START + BLOCK_COMMIT (commits wait; reads and open transactions go on)',
      'instance-lock': 'LOCK INSTANCE FOR BACKUP (DDL waits; DML goes on)',
      ftwrl: 'FLUSH TABLES WITH READ LOCK after a long-query check (every write waits)',
    }[this.mode];
    return `${this.flavour?.version ?? '?'}: ${what}${this.c.clean && this.flavour?.mariadb ? ', clean (checkpoints)' : ''}`;
  }

  /** FTWRL waits behind long statements and stalls every writer meanwhile: look first. */
  private async longQueries(): Promise<void> {
    const seconds = this.c.longQuerySeconds ?? 10;
    const rows = await this.control!.query(
      `SELECT ID AS id, TIME AS t, LEFT(COALESCE(INFO, ''), 60) AS info FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query' AND TIME >= ${Math.floor(seconds)} AND ID NOT IN (${this.holder!.threadId}, ${this.control!.threadId})`,
    );
    if (!rows.length) return;
    if (this.c.longQueries === 'kill') {
      for (const r of rows) await this.control!.query(`KILL QUERY ${Number(r.id)}`);
      return;
    }
    throw this.fail(
      `${rows.length} quer${rows.length === 1 ? 'y has' : 'ies have'} run for ${seconds}s or more (e.g. ${String(rows[0]!.info)}); FLUSH TABLES WITH READ LOCK would stall all writes behind them. Set "longQueries": "kill" to kill them`,
    );
  }

  /**
   * Session limits, the long-query guard, clean mode's checkpoint. Any failure here is exit 9
   * with one line (e.g. SET GLOBAL without SUPER), never an unexpected error.
   */
  private async beforeLock(lockWait: number, deadman: number): Promise<void> {
    try {
      await this.holder!.query(
        `SET SESSION lock_wait_timeout = ${lockWait}, wait_timeout = ${deadman}`,
      );
      if (this.mode === 'ftwrl') await this.longQueries();
      await this.rehearse();
      // Clean mode's first pass: what is left for the pass under the lock is then small.
      if (this.flavour!.mariadb && this.c.clean)
        await purgeAndCheckpoint(this.control!, this.holder!, lockWait);
    } catch (e) {
      if (e instanceof AgentError) throw e;
      throw this.fail(`could not prepare the lock (${this.mode})`, e);
    }
  }

  /**
   * The statements the lock's holder runs while writers wait, once before the lock: the driver
   * builds a parser for each new result shape on first use (measured under Bun: 10 ms for the
   * lock's facts the first time, 1 ms after), and this server's binlog status statement is
   * found now, not by a failed try under the lock. What fails here is judged under the lock.
   */
  private async rehearse(): Promise<void> {
    await this.facts().catch(() => undefined);
    const clean = this.cleanUnderTheLock();
    const after = clean ? logMark(this.holder!) : this.holder!.query('SELECT 1');
    await Promise.all([after, clean ? logMark(this.control!) : undefined]).catch(() => undefined);
  }

  async quiesce(freezeBudgetS: number): Promise<Held> {
    const holder = this.holder!;
    const control = this.control!;
    const lockWait = Math.max(1, Math.floor(this.c.lockWaitTimeoutSeconds ?? 5));
    // Dead-man switch: an idle holder is dropped (and its lock released) by the server.
    const deadman = freezeBudgetS + 30;
    await this.beforeLock(lockWait, deadman);
    // Our own guard too: a statement stuck past the wait bound is killed from the side.
    const guard = setTimeout(
      () => void control.query(`KILL QUERY ${holder.threadId}`).catch(() => undefined),
      lockWait * 1000 + 2000,
    );
    const started = performance.now();
    try {
      await this.lock();
    } catch (e) {
      await this.unlock().catch(() => undefined);
      throw this.fail(`could not take the lock (${this.mode}, lock_wait_timeout ${lockWait}s)`, e);
    } finally {
      clearTimeout(guard);
    }
    const lockedMs = performance.now() - started;
    const facts = await this.facts().catch(() => ({}) as Record<string, string>);
    const clean = await this.cleanUnderLock(lockWait);
    if (clean) facts.Clean = clean.fact;
    let released = false;
    return {
      mode: `${this.mode} (${this.flavour!.version}), lock taken in ${lockedMs.toFixed(1)} ms${clean ? `; ${clean.note}` : ''}`,
      facts,
      lockSentAt: started,
      verify: () => this.verify(facts, clean),
      release: async () => {
        if (released) return;
        released = true;
        // A lost holder already released its lock on the server: nothing left to undo.
        if (this.lost) return;
        try {
          await this.unlock();
        } catch (e) {
          throw new AgentError(
            'PostScriptFailed',
            `app ${this.name} (mysql): releasing the lock failed: ${(e as Error).message}`,
            { cause: e },
          );
        }
      },
    };
  }

  /** Whether the holder kept its lock; in clean mode, whether redo followed the checkpoint. */
  private async verify(
    facts: Record<string, string>,
    clean: { fact: string; mark: LogMark | undefined } | undefined,
  ): Promise<boolean> {
    if (this.lost) return false;
    try {
      // Clean mode reads the log's end on the holder: one round trip, and it proves the
      // session alive as SELECT 1 would.
      if (!clean) await this.holder!.query('SELECT 1');
      else
        facts.Clean = cleanAfterThaw(
          clean.fact,
          noRedoSince(clean.mark, await logMark(this.holder!)),
        );
      return !this.lost;
    } catch {
      return false;
    }
  }

  /** Clean mode's pass under the lock: MariaDB's BACKUP STAGE only (10.4 on). */
  private cleanUnderTheLock(): boolean {
    return this.mode === 'backup-stage' && this.c.clean === true;
  }

  /**
   * Clean mode, under the lock and after its facts (the lock time is when commits stopped):
   * under BLOCK_COMMIT no commit adds to the purge backlog, so what is left since the pass
   * before the lock is small; once purged and checkpointed, little writes redo until the thaw.
   * The purge wait is bounded by the lock wait and a purge that cannot catch up is said, not
   * failed; a checkpoint that fails or overstays releases the lock (exit 9). The log's end is
   * read after it: verify() says in the Clean fact whether redo was written before the thaw.
   */
  private async cleanUnderLock(lockWait: number) {
    if (!this.cleanUnderTheLock()) return undefined;
    const [control, holder] = [this.control!, this.holder!];
    const guard = setTimeout(
      () => void holder.query(`KILL QUERY ${control.threadId}`).catch(() => undefined),
      (2 * lockWait + 2) * 1000,
    );
    try {
      const outcome = cleanOutcome(await purgeAndCheckpoint(control, holder, lockWait), lockWait);
      // Where the log ended just after the checkpoint; compared after the thaw.
      return { ...outcome, mark: await logMark(control) };
    } catch (e) {
      await this.unlock().catch(() => undefined);
      throw this.fail('could not checkpoint under the lock (clean mode)', e);
    } finally {
      clearTimeout(guard);
    }
  }

  /** The mode's locking statements, on the holder session. */
  private async lock(): Promise<void> {
    const holder = this.holder!;
    if (this.mode === 'backup-stage') {
      await holder.query('BACKUP STAGE START');
      await holder.query('BACKUP STAGE BLOCK_COMMIT');
    } else if (this.mode === 'instance-lock') {
      await holder.query('LOCK INSTANCE FOR BACKUP');
    } else {
      const mysql8 = !this.flavour!.mariadb && this.flavour!.major >= 8;
      if (mysql8) await holder.query('LOCK INSTANCE FOR BACKUP');
      await holder.query('FLUSH TABLES WITH READ LOCK');
    }
  }

  private async unlock(): Promise<void> {
    const holder = this.holder!;
    if (this.mode === 'backup-stage') await holder.query('BACKUP STAGE END');
    else {
      if (this.mode === 'ftwrl') await holder.query('UNLOCK TABLES');
      if (!this.flavour!.mariadb && this.flavour!.major >= 8) await holder.query('UNLOCK INSTANCE');
    }
  }

  /** Lock time on the server's clock, binlog coordinates and GTID, read under the lock. */
  private async facts(): Promise<Record<string, string>> {
    const holder = this.holder!;
    const mariadb = this.flavour!.mariadb;
    // One round trip for both: every ms under the lock is a ms the application waits.
    const t = first(
      await holder.query(
        mariadb
          ? 'SELECT NOW(6) AS t, @@global.gtid_binlog_pos AS g'
          : 'SELECT NOW(6) AS t, @@global.gtid_executed AS g',
      ),
    );
    let status: Record<string, unknown> = {};
    for (const sql of this.statusSql ? [this.statusSql] : STATUS_SQL) {
      try {
        status = first(await holder.query(sql));
        this.statusSql = sql;
        break;
      } catch {
        // not this server's: the next one
      }
    }
    const out: Record<string, string> = { LockTime: String(t.t ?? '') };
    if (t.g) out.Gtid = String(t.g).replace(/\s+/g, '');
    if (status.File) out.BinlogFile = String(status.File);
    if (status.Position !== undefined) out.BinlogPosition = String(status.Position);
    return out;
  }

  async close(): Promise<void> {
    const sessions = [this.holder, this.control].filter((c) => c !== undefined);
    await Promise.all(sessions.map((c) => c.end().catch(() => undefined)));
    this.holder = undefined;
    this.control = undefined;
  }
}
