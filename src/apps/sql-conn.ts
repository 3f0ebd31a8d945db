/** The little of a SQL connection the quiescers use: a fake one drives the unit tests. */
export interface SqlConn {
  /** Server-side session id (KILL QUERY target). */
  readonly threadId: number;
  query(sql: string): Promise<Record<string, unknown>[]>;
  /** Called once if the connection is lost (server timeout, KILL, network). */
  onLost(listener: (e: Error) => void): void;
  end(): Promise<void>;
}

export type SqlConnect = () => Promise<SqlConn>;
