// The only file that imports mssql: a dedicated pool of exactly one connection, so every
// statement runs on the session that holds the suspension (the quiescer checks @@SPID too).
import type { SqlServerAppConfig } from './config.js';
import type { SqlConn } from './sql-conn.js';

export async function mssqlConnect(c: SqlServerAppConfig): Promise<SqlConn> {
  const sql = (await import('mssql')).default;
  const pool = new sql.ConnectionPool({
    server: c.server,
    port: c.port ?? 1433,
    user: c.user,
    password: c.password,
    database: 'master',
    requestTimeout: 120_000,
    connectionTimeout: 10_000,
    options: { trustServerCertificate: c.trustServerCertificate ?? false, encrypt: true },
    pool: { min: 1, max: 1, idleTimeoutMillis: 3_600_000 },
  });
  await pool.connect();
  const [first] = (await pool.request().query<{ spid: number }>('SELECT @@SPID AS spid')).recordset;
  return {
    threadId: Number(first?.spid),
    async query(text) {
      const r = await pool.request().query(text);
      return (r.recordset ?? []) as Record<string, unknown>[];
    },
    onLost(listener) {
      pool.on('error', (e: Error) => listener(e));
    },
    async end() {
      await pool.close();
    },
  };
}
