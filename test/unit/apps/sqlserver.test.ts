// No SQL Server runs here: the statement sequence and every failure path against a fake session.
import { describe, expect, it } from 'vitest';
import { SqlServerQuiescer } from '../../../src/apps/sqlserver.js';
import { fakeConnect, type Rule } from '../../support/fake-sql.js';

const base = (over: Partial<Record<string, unknown>> = {}) => ({
  type: 'sqlserver' as const,
  server: 'localhost',
  user: 'sa',
  password: 'pw',
  databases: ['sales'],
  metadataDir: '/var/opt/mssql/backup',
  ...over,
});
const OK: Rule[] = [
  [/ProductMajorVersion/, [{ spid: 57, major: 16 }]],
  [/^SELECT @@SPID AS spid$/, [{ spid: 57 }]],
  [/dm_server_suspend_status/, [{ n: 1 }]],
  [/SYSDATETIME/, [{ t: '2026-11-24 00:00:00.1234567' }]],
];
const now = () => new Date('2026-11-24T01:02:03Z');
const sql = (log: string[]) =>
  log.filter((l) => !/@@SPID|SYSDATETIME|dm_server_suspend_status/.test(l));

describe('SqlServerQuiescer', () => {
  it('one database: suspend COPY_ONLY, then after the thaw the METADATA_ONLY backup, nothing more', async () => {
    const f = fakeConnect(OK);
    const q = new SqlServerQuiescer('sql1', base(), f.connect, now);
    await q.prepare();
    const held = await q.quiesce();
    expect(await held.verify()).toBe(true);
    await held.afterThaw!();
    await held.release();
    await q.close();
    expect(sql(f.log)).toEqual([
      'h: ALTER DATABASE [sales] SET SUSPEND_FOR_SNAPSHOT_BACKUP = ON (MODE = COPY_ONLY)',
      "h: BACKUP DATABASE [sales] TO DISK = N'/var/opt/mssql/backup/sql1-20261124T010203.bkm' WITH METADATA_ONLY, FORMAT, MEDIADESCRIPTION = N'app-snapshot-plugin 20261124T010203'",
      'h: END',
    ]);
    expect(held.facts).toMatchObject({
      LockTime: '2026-11-24 00:00:00.1234567',
      Databases: 'sales',
      BackupMetadataFile: '/var/opt/mssql/backup/sql1-20261124T010203.bkm',
    });
  });

  it('several databases: one group suspend and a BACKUP GROUP; names are quoted', async () => {
    const f = fakeConnect([[/dm_server_suspend_status/, [{ n: 2 }]], ...OK]);
    const q = new SqlServerQuiescer(
      'sql1',
      base({ databases: ['a', 'b]x'], metadataDir: 'D:\\bkm\\' }),
      f.connect,
      now,
    );
    await q.prepare();
    const held = await q.quiesce();
    expect(await held.verify()).toBe(true);
    await held.afterThaw!();
    expect(sql(f.log)).toEqual([
      'h: ALTER SERVER CONFIGURATION SET SUSPEND_FOR_SNAPSHOT_BACKUP = ON (GROUP = ([a], [b]]x]), MODE = COPY_ONLY)',
      "h: BACKUP GROUP [a], [b]]x] TO DISK = N'D:\\bkm\\sql1-20261124T010203.bkm' WITH METADATA_ONLY, FORMAT, MEDIADESCRIPTION = N'app-snapshot-plugin 20261124T010203'",
    ]);
  });

  it('snapshot failed (no afterThaw): release un-suspends with OFF', async () => {
    const f = fakeConnect(OK);
    const q = new SqlServerQuiescer('sql1', base(), f.connect, now);
    await q.prepare();
    await (await q.quiesce()).release();
    expect(sql(f.log)).toEqual([
      'h: ALTER DATABASE [sales] SET SUSPEND_FOR_SNAPSHOT_BACKUP = ON (MODE = COPY_ONLY)',
      'h: ALTER DATABASE [sales] SET SUSPEND_FOR_SNAPSHOT_BACKUP = OFF',
    ]);
  });

  it('METADATA_ONLY fails: exit 10 and still un-suspended by release', async () => {
    const f = fakeConnect([
      [/^BACKUP/, new Error('Operating system error 5 (Access is denied)')],
      ...OK,
    ]);
    const q = new SqlServerQuiescer('sql1', base(), f.connect, now);
    await q.prepare();
    const held = await q.quiesce();
    await expect(held.afterThaw!()).rejects.toMatchObject({
      exitCode: 10,
      message: expect.stringMatching(/METADATA_ONLY failed: Operating system error 5/),
    });
    await held.release();
    expect(sql(f.log).at(-1)).toBe(
      'h: ALTER DATABASE [sales] SET SUSPEND_FOR_SNAPSHOT_BACKUP = OFF',
    );
  });

  it('the session changed or the suspension is gone: not verified', async () => {
    const moved = fakeConnect([[/^SELECT @@SPID AS spid$/, [{ spid: 99 }]], ...OK]);
    const q = new SqlServerQuiescer('sql1', base(), moved.connect, now);
    await q.prepare();
    await expect(q.quiesce()).rejects.toMatchObject({
      exitCode: 9,
      message: expect.stringMatching(/session changed/),
    });
    expect(sql(moved.log).at(-1)).toBe(
      'h: ALTER DATABASE [sales] SET SUSPEND_FOR_SNAPSHOT_BACKUP = OFF',
    );
    const gone = fakeConnect([[/dm_server_suspend_status/, [{ n: 0 }]], ...OK]);
    const g = new SqlServerQuiescer('sql1', base(), gone.connect, now);
    await g.prepare();
    expect(await (await g.quiesce()).verify()).toBe(false);
  });

  it('before SQL Server 2022, or the suspend refused: exit 9', async () => {
    const old = fakeConnect([[/ProductMajorVersion/, [{ spid: 1, major: 15 }]]]);
    await expect(new SqlServerQuiescer('s', base(), old.connect).prepare()).rejects.toMatchObject({
      exitCode: 9,
      message: expect.stringMatching(/SQL Server 15 has no T-SQL snapshot backup/),
    });
    const refused = fakeConnect([
      [/SUSPEND_FOR_SNAPSHOT_BACKUP = ON/, new Error('Msg 925 Maximum number of databases')],
      ...OK,
    ]);
    const q = new SqlServerQuiescer('s', base(), refused.connect);
    await q.prepare();
    await expect(q.quiesce()).rejects.toMatchObject({
      exitCode: 9,
      message: expect.stringMatching(/Msg 925/),
    });
  });
});
