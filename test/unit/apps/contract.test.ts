import { MysqlQuiescer } from '../../../src/apps/mysql.js';
import { SqlServerQuiescer } from '../../../src/apps/sqlserver.js';
import { PostgresQuiescer } from '../../../src/apps/postgres.js';
import { describeQuiescerContract } from '../../contract/quiescer-contract.js';
import { fakeConnect, type Rule } from '../../support/fake-sql.js';
import { FakeQuiescer } from '../../support/fakes.js';

const mariadb: Rule[] = [
  [/SELECT VERSION/, [{ v: '10.11.19-MariaDB' }]],
  [/NOW\(6\) AS t, @@global.gtid_binlog_pos/, [{ t: '2026-11-24 00:00:00.000001', g: '0-1-9' }]],
];
const mysql84: Rule[] = [
  [/SELECT VERSION/, [{ v: '8.4.3' }]],
  [/information_schema.TABLES/, [{ n: 0 }]],
  [/NOW\(6\)/, [{ t: '2026-11-24 00:00:00.000001' }]],
];

describeQuiescerContract('mysql on MariaDB (fake session)', () => {
  const f = fakeConnect(mariadb);
  return {
    quiescer: new MysqlQuiescer('db', { type: 'mysql', socketPath: '/s' }, f.connect),
    lose: () => f.sessions[0]!.lose(),
    isLocked: () => f.server.locked(),
  };
});

describeQuiescerContract('mysql on MySQL 8.4 (fake session)', () => {
  const f = fakeConnect(mysql84);
  return {
    quiescer: new MysqlQuiescer('db', { type: 'mysql', host: 'h' }, f.connect),
    lose: () => f.sessions[0]!.lose(),
    isLocked: () => f.server.locked(),
  };
});

const postgres: Rule[] = [
  [/server_version_num/, [{ n: '160004', v: 'PostgreSQL 16.4 on x86_64' }]],
  [/data_directory/, [{ d: '/srv/pg' }]],
  [/relpersistence/, [{ n: '0' }]],
  [/pg_current_wal_lsn/, [{ lsn: '0/1', tli: '1', sysid: '1' }]],
  [/pg_backup_stop/, [{ lsn: '0/2', labelfile: 'START WAL LOCATION: 0/1\n', spcmapfile: '' }]],
];

describeQuiescerContract('postgresql backup mode (fake session)', () => {
  const f = fakeConnect(postgres);
  return {
    quiescer: new PostgresQuiescer(
      'pg',
      { type: 'postgresql', mode: 'backup' },
      f.connect,
      (p) => p,
    ),
    lose: () => f.sessions[0]!.lose(),
    isLocked: () => f.server.locked(),
  };
});

describeQuiescerContract('postgresql atomic mode (fake session)', () => {
  const f = fakeConnect(postgres);
  return {
    quiescer: new PostgresQuiescer('pg', { type: 'postgresql' }, f.connect, (p) => p),
    lose: () => f.sessions[0]!.lose(),
    isLocked: () => f.server.locked(),
    holdsLock: false,
  };
});

describeQuiescerContract('sqlserver (fake session)', () => {
  const f = fakeConnect([
    [/ProductMajorVersion/, [{ spid: 5, major: 16 }]],
    [/^SELECT @@SPID AS spid$/, [{ spid: 5 }]],
    [/SYSDATETIME/, [{ t: '2026-11-24 00:00:00.0000001' }]],
  ]);
  // The suspension count answers what the "server" currently holds (SUSPEND ... ON / OFF).
  const suspended = () => (f.server.locked() ? 1 : 0);
  const q = new SqlServerQuiescer(
    'sql',
    {
      type: 'sqlserver',
      server: 's',
      user: 'u',
      password: 'p',
      databases: ['a'],
      metadataDir: '/m',
    },
    async () => {
      const c = await f.connect();
      const query = c.query.bind(c);
      c.query = async (sql: string) =>
        /dm_server_suspend_status/.test(sql) ? [{ n: suspended() }] : query(sql);
      return c;
    },
  );
  // Lost: the server ended the suspension (every session's hold is gone).
  return {
    quiescer: q,
    lose: () => f.sessions.forEach((s) => s.lose()),
    isLocked: () => f.server.locked(),
  };
});

describeQuiescerContract('fake (test double)', () => {
  const q = new FakeQuiescer('db');
  return {
    quiescer: q,
    lose: () => {
      q.lose = true;
    },
    isLocked: () => q.locked,
  };
});
