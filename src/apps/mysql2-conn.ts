// The only file that imports mysql2: one dedicated connection (never a pool: a lock belongs to
// one session), multipleStatements off, Unix socket or TCP.
import type { MysqlAppConfig } from './config.js';
import { onFirstLoss, type SqlConn } from './sql-conn.js';

export async function mysql2Connect(c: MysqlAppConfig): Promise<SqlConn> {
  const mysql = await import('mysql2/promise');
  const conn = await mysql.createConnection({
    ...(c.socketPath ? { socketPath: c.socketPath } : { host: c.host, port: c.port ?? 3306 }),
    user: c.user ?? 'root',
    ...(c.password ? { password: c.password } : {}),
    multipleStatements: false,
    connectTimeout: 5000,
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
  });
  return {
    threadId: conn.threadId,
    async query(sql) {
      const [rows] = await conn.query(sql);
      return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
    },
    onLost(listener) {
      onFirstLoss(conn as unknown as Parameters<typeof onFirstLoss>[0], listener);
    },
    async end() {
      try {
        await conn.end();
      } catch {
        conn.destroy();
      }
    },
  };
}
