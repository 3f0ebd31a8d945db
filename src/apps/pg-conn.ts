// The only file that imports pg: one dedicated client (never a pool: a backup started with
// pg_backup_start belongs to one session and ends with it), Unix socket or TCP.
import type { PostgresAppConfig } from './config.js';
import { onFirstLoss, type SqlConn } from './sql-conn.js';

export async function pgConnect(c: PostgresAppConfig): Promise<SqlConn> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({
    host: c.socketDir ?? c.host ?? '/var/run/postgresql',
    port: c.port ?? 5432,
    user: c.user ?? 'postgres',
    database: c.database ?? 'postgres',
    ...(c.password ? { password: c.password } : {}),
    connectionTimeoutMillis: 5000,
    application_name: 'app-snapshot-plugin',
  });
  await client.connect();
  return {
    threadId: (client as unknown as { processID: number }).processID,
    async query(sql) {
      const r = await client.query(sql);
      return r.rows as Record<string, unknown>[];
    },
    onLost(listener) {
      onFirstLoss(client as unknown as Parameters<typeof onFirstLoss>[0], listener);
    },
    async end() {
      await client.end().catch(() => undefined);
    },
  };
}
