import type { SqlConn, SqlConnect } from '../../src/apps/sql-conn.js';

export type Rule = [RegExp, Record<string, unknown>[] | Error];

/** A scripted SQL session: answers by the first matching rule and logs every statement. */
export class FakeSql implements SqlConn {
  private lostListener: ((e: Error) => void) | undefined;
  constructor(
    readonly threadId: number,
    private readonly rules: Rule[],
    readonly log: string[],
    readonly label: string,
  ) {}

  async query(sql: string): Promise<Record<string, unknown>[]> {
    this.log.push(`${this.label}: ${sql}`);
    const hit = this.rules.find(([re]) => re.test(sql));
    if (hit?.[1] instanceof Error) throw hit[1];
    return hit?.[1] ?? [];
  }

  onLost(listener: (e: Error) => void): void {
    this.lostListener = listener;
  }

  lose(): void {
    this.lostListener?.(new Error('PROTOCOL_CONNECTION_LOST'));
  }

  async end(): Promise<void> {
    this.log.push(`${this.label}: END`);
  }
}

/** A connect() handing out holder ("h", thread 10) then control ("c", thread 11) sessions. */
export function fakeConnect(rules: Rule[]): {
  connect: SqlConnect;
  log: string[];
  sessions: FakeSql[];
} {
  const log: string[] = [];
  const sessions: FakeSql[] = [];
  const connect: SqlConnect = async () => {
    const s = new FakeSql(10 + sessions.length, rules, log, sessions.length ? 'c' : 'h');
    sessions.push(s);
    return s;
  };
  return { connect, log, sessions };
}
