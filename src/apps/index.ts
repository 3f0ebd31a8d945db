import { loadAppsConfig, selectApps, DEFAULT_APPS_CONFIG } from './config.js';
import { mssqlConnect } from './mssql-conn.js';
import { mysql2Connect } from './mysql2-conn.js';
import { MysqlQuiescer } from './mysql.js';
import { pgConnect } from './pg-conn.js';
import { PostgresQuiescer } from './postgres.js';
import { SqlServerQuiescer } from './sqlserver.js';
import type { AppQuiescer } from './types.js';

export type { AppQuiescer, Held } from './types.js';

/** The quiescers a run asked for with -Apps, from the root-only apps config. */
export function createQuiescers(
  names: readonly string[],
  configPath: string = DEFAULT_APPS_CONFIG,
): AppQuiescer[] {
  if (!names.length) return [];
  const file = loadAppsConfig(configPath, process.getuid?.() ?? 0);
  return selectApps(file, names).map(([name, app]): AppQuiescer => {
    if (app.type === 'mysql') return new MysqlQuiescer(name, app, () => mysql2Connect(app));
    if (app.type === 'postgresql') return new PostgresQuiescer(name, app, () => pgConnect(app));
    return new SqlServerQuiescer(name, app, () => mssqlConnect(app));
  });
}
