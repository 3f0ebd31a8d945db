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

/** Calls `listener` once, on the first 'error' or 'end' of a driver's connection object. */
export function onFirstLoss(
  conn: { on(event: 'error' | 'end', fn: (e?: Error) => void): unknown },
  listener: (e: Error) => void,
): void {
  let fired = false;
  const once = (e: Error) => {
    if (!fired) listener(e);
    fired = true;
  };
  conn.on('error', (e) => once(e ?? new Error('connection error')));
  conn.on('end', () => once(new Error('connection ended')));
}
