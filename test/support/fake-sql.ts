import type { SqlConn, SqlConnect } from '../../src/apps/sql-conn.js';

/**
 * The first rule whose pattern matches answers a statement: rows, an error, or UNTIL_KILLED (the
 * statement runs until another session sends KILL QUERY for it, then fails as MariaDB's does).
 */
export type Rule = [RegExp, Record<string, unknown>[] | Error | typeof UNTIL_KILLED];
export const UNTIL_KILLED = 'until-killed';

/**
 * What the fake "server" holds, as the real ones do: the statements that take a backup lock
 * and those that end it, per session; a session that ends or is lost drops what it held. The
 * quiescer contract asks it (isLocked) instead of trusting the quiescer's own word.
 */
const TAKES: [RegExp, string][] = [
  [/^BACKUP STAGE BLOCK_COMMIT/i, 'backup-stage'],
  [/^LOCK INSTANCE FOR BACKUP/i, 'instance'],
  [/^FLUSH TABLES WITH READ LOCK/i, 'ftwrl'],
  [/pg_(backup_start|start_backup)\(/i, 'pg-backup'],
  [/SUSPEND_FOR_SNAPSHOT_BACKUP = ON/i, 'suspend'],
];
const ENDS: [RegExp, string][] = [
  [/^BACKUP STAGE END/i, 'backup-stage'],
  [/^UNLOCK INSTANCE/i, 'instance'],
  [/^UNLOCK TABLES/i, 'ftwrl'],
  [/pg_(backup_stop|stop_backup)\(/i, 'pg-backup'],
  [/SUSPEND_FOR_SNAPSHOT_BACKUP = OFF/i, 'suspend'],
  // SQL Server: a successful metadata-only backup ends the suspension it records.
  [/^BACKUP (DATABASE|GROUP) .* WITH METADATA_ONLY/is, 'suspend'],
];

export class FakeServerLocks {
  private readonly held = new Map<number, Set<string>>();
  private readonly running = new Map<number, () => void>();
  /** A statement of `thread` that runs until a KILL QUERY for it. */
  runUntilKilled(thread: number): Promise<never> {
    return new Promise((_, reject) =>
      this.running.set(thread, () => {
        const e = Object.assign(new Error('Query execution was interrupted'), { errno: 1317 });
        reject(e);
      }),
    );
  }
  /** KILL QUERY: interrupts what `thread` runs, if anything. */
  kill(thread: number): void {
    this.running.get(thread)?.();
    this.running.delete(thread);
  }
  /** Called for each statement a session sends. */
  see(thread: number, sql: string): void {
    const mine = this.held.get(thread) ?? new Set<string>();
    for (const [re, kind] of TAKES) if (re.test(sql)) mine.add(kind);
    for (const [re, kind] of ENDS) if (re.test(sql)) mine.delete(kind);
    this.held.set(thread, mine);
  }
  /** The session ended or was lost: what it held is gone. */
  drop(thread: number): void {
    this.held.delete(thread);
  }
  /** Whether any session holds a backup lock now. */
  locked(): boolean {
    return [...this.held.values()].some((kinds) => kinds.size > 0);
  }
}

/** A scripted SQL session: answers by the first matching rule and logs every statement. */
export class FakeSql implements SqlConn {
  private lostListener: ((e: Error) => void) | undefined;
  constructor(
    readonly threadId: number,
    private readonly rules: Rule[],
    readonly log: string[],
    readonly label: string,
    private readonly server = new FakeServerLocks(),
  ) {}

  async query(sql: string): Promise<Record<string, unknown>[]> {
    this.log.push(`${this.label}: ${sql}`);
    const killed = /^KILL QUERY (\d+)$/.exec(sql);
    if (killed) this.server.kill(Number(killed[1]));
    const hit = this.rules.find(([re]) => re.test(sql));
    if (hit?.[1] instanceof Error) throw hit[1];
    if (hit?.[1] === UNTIL_KILLED) return this.server.runUntilKilled(this.threadId);
    this.server.see(this.threadId, sql);
    return hit?.[1] ?? [];
  }

  onLost(listener: (e: Error) => void): void {
    this.lostListener = listener;
  }

  lose(): void {
    this.server.drop(this.threadId);
    this.lostListener?.(new Error('PROTOCOL_CONNECTION_LOST'));
  }

  async end(): Promise<void> {
    this.log.push(`${this.label}: END`);
    this.server.drop(this.threadId);
  }
}

/** A connect() handing out holder ("h", thread 10) then control ("c", thread 11) sessions. */
export function fakeConnect(rules: Rule[]): {
  connect: SqlConnect;
  log: string[];
  sessions: FakeSql[];
  server: FakeServerLocks;
} {
  const log: string[] = [];
  const sessions: FakeSql[] = [];
  const server = new FakeServerLocks();
  const connect: SqlConnect = async () => {
    const s = new FakeSql(10 + sessions.length, rules, log, sessions.length ? 'c' : 'h', server);
    sessions.push(s);
    return s;
  };
  return { connect, log, sessions, server };
}
