import { describe, expect, it } from 'vitest';
import { MysqlQuiescer } from '../../../src/apps/mysql.js';
import { fakeConnect, UNTIL_KILLED, type Rule } from '../../support/fake-sql.js';

const MARIADB: Rule[] = [
  [/SELECT VERSION/, [{ v: '10.11.19-MariaDB-0+deb12u1-log' }]],
  // The lock time and the GTID in one round trip under the lock.
  [
    /^SELECT NOW\(6\) AS t, @@global.gtid_binlog_pos AS g$/,
    [{ t: '2026-11-24 00:00:00.123456', g: '0-1-42' }],
  ],
  [/SHOW MASTER STATUS/, [{ File: 'binlog.000002', Position: 1234 }]],
  // Clean mode: the redo log ends at its checkpoint's own record (16 bytes on),
  [
    /^SHOW GLOBAL STATUS WHERE Variable_name IN \('Innodb_lsn_current', 'Innodb_lsn_last_checkpoint'\)$/,
    [
      { Variable_name: 'Innodb_lsn_current', Value: '2967798' },
      { Variable_name: 'Innodb_lsn_last_checkpoint', Value: '2967782' },
    ],
  ],
];
const LSN =
  "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_lsn_current', 'Innodb_lsn_last_checkpoint')";
const mysql8 = (nonInnodb: number, version = '8.4.3'): Rule[] => [
  [/SELECT VERSION/, [{ v: version }]],
  [/COUNT\(\*\) AS n FROM information_schema.TABLES/, [{ n: nonInnodb }]],
  [
    /^SELECT NOW\(6\) AS t, @@global.gtid_executed AS g$/,
    [{ t: '2026-11-24 00:00:00.000001', g: '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5' }],
  ],
  [/SHOW MASTER STATUS/, new Error('You have an error in your SQL syntax')],
  [/SHOW BINARY LOG STATUS/, [{ File: 'binlog.000009', Position: 99 }]],
];
const statements = (log: string[]) =>
  log.filter(
    (l) =>
      !/VERSION|information_schema.TABLES|NOW|gtid|MASTER STATUS|BINARY LOG STATUS|PROCESSLIST/.test(
        l,
      ),
  );

type Query = (sql: string) => Promise<Record<string, unknown>[]>;

/** A clean-mode quiescer on the fake MariaDB whose every statement goes through `around`. */
function cleanQuiescer(around: (sql: string, query: Query) => Promise<Record<string, unknown>[]>) {
  const f = fakeConnect(MARIADB);
  const q = new MysqlQuiescer('db1', { type: 'mysql', socketPath: '/s', clean: true }, async () => {
    const s = await f.connect();
    const query = s.query.bind(s);
    s.query = (sql: string) => around(sql, query);
    return s;
  });
  return { q, f };
}

describe('MysqlQuiescer', () => {
  it('MariaDB: BACKUP STAGE START + BLOCK_COMMIT on an idle holder with a dead-man timeout, END on release', async () => {
    const f = fakeConnect(MARIADB);
    const q = new MysqlQuiescer('db1', { type: 'mysql', socketPath: '/s', clean: true }, f.connect);
    await q.prepare();
    const held = await q.quiesce(30);
    expect(held.mode).toMatch(/^backup-stage \(10\.11\.19/);
    expect(held.facts).toEqual({
      LockTime: '2026-11-24 00:00:00.123456',
      Gtid: '0-1-42',
      BinlogFile: 'binlog.000002',
      BinlogPosition: '1234',
      Clean: 'purged, checkpointed',
    });
    expect(held.mode).toMatch(/; clean: purged and checkpointed under the lock$/);
    expect(await held.verify()).toBe(true);
    await held.release();
    await held.release(); // idempotent
    await q.close();
    expect(statements(f.log)).toEqual([
      'h: SET SESSION lock_wait_timeout = 5, wait_timeout = 60',
      // Rehearsed before the lock: what the holder and the control run while writers wait.
      `h: ${LSN}`,
      `c: ${LSN}`,
      'c: SET GLOBAL innodb_max_purge_lag_wait = 0',
      'c: SET GLOBAL innodb_log_checkpoint_now = ON',
      'h: BACKUP STAGE START',
      'h: BACKUP STAGE BLOCK_COMMIT',
      'c: SET GLOBAL innodb_max_purge_lag_wait = 0',
      'c: SET GLOBAL innodb_log_checkpoint_now = ON',
      `c: ${LSN}`,
      `h: ${LSN}`,
      'h: BACKUP STAGE END',
      'h: END',
      'c: END',
    ]);
  });

  it('clean mode behind an open transaction: each purge wait is cut at the lock wait, checkpointed anyway, and said (it hung until the server dropped the holder)', async () => {
    // Purge never catches up past a transaction that may read old versions: the wait is endless.
    const f = fakeConnect([[/innodb_max_purge_lag_wait/, UNTIL_KILLED], ...MARIADB]);
    const config = {
      type: 'mysql',
      socketPath: '/s',
      clean: true,
      lockWaitTimeoutSeconds: 1,
    } as const;
    const q = new MysqlQuiescer('db1', config, f.connect);
    await q.prepare();
    const held = await q.quiesce(30);
    expect(held.facts.Clean).toBe('purge behind, checkpointed');
    expect(held.mode).toMatch(
      /purge did not catch up within 1 s .*a restore may replay some redo$/,
    );
    expect(f.server.locked()).toBe(true);
    expect(statements(f.log)).toEqual([
      'h: SET SESSION lock_wait_timeout = 1, wait_timeout = 60',
      `h: ${LSN}`,
      `c: ${LSN}`,
      'c: SET GLOBAL innodb_max_purge_lag_wait = 0',
      'h: KILL QUERY 11',
      'c: SET GLOBAL innodb_log_checkpoint_now = ON',
      'h: BACKUP STAGE START',
      'h: BACKUP STAGE BLOCK_COMMIT',
      'c: SET GLOBAL innodb_max_purge_lag_wait = 0',
      'h: KILL QUERY 11',
      'c: SET GLOBAL innodb_log_checkpoint_now = ON',
      `c: ${LSN}`,
    ]);
    await held.release();
    expect(f.server.locked()).toBe(false);
    await q.close();
  });

  it('clean mode: redo written between the checkpoint and the thaw is said in the Clean fact', async () => {
    let reads = 0;
    const { q } = cleanQuiescer(async (sql, query) => {
      const rows = await query(sql);
      // The log has grown by the time the holder reads it after the thaw (the fourth read:
      // two rehearse before the lock, one follows the checkpoint).
      if (/Innodb_lsn_current/.test(sql) && ++reads === 4)
        return rows.map((r) =>
          r.Variable_name === 'Innodb_lsn_current' ? { ...r, Value: '2969002' } : r,
        );
      return rows;
    });
    await q.prepare();
    const held = await q.quiesce(30);
    expect(held.facts.Clean).toBe('purged, checkpointed');
    expect(await held.verify()).toBe(true);
    expect(held.facts.Clean).toBe('purged, checkpointed, redo after the checkpoint');
    await held.release();
    await q.close();
  });

  it('clean mode: a checkpoint under the lock that fails releases the lock (exit 9)', async () => {
    let checkpoints = 0;
    const { q, f } = cleanQuiescer(async (sql, query) => {
      if (/checkpoint_now/.test(sql) && ++checkpoints === 2) throw new Error('disk full');
      return query(sql);
    });
    await q.prepare();
    await expect(q.quiesce(30)).rejects.toMatchObject({
      exitCode: 9,
      message: expect.stringMatching(
        /could not checkpoint under the lock \(clean mode\): disk full$/,
      ),
    });
    expect(f.server.locked()).toBe(false);
    await q.close();
  });

  it('clean mode without SUPER: exit 9 with one line, nothing held (was an unexpected error, 255)', async () => {
    const denied = new Error(
      'Access denied; you need (at least one of) the SUPER privilege(s) for this operation',
    );
    const f = fakeConnect([[/SET GLOBAL innodb_log_checkpoint_now/, denied], ...MARIADB]);
    const q = new MysqlQuiescer('db1', { type: 'mysql', socketPath: '/s', clean: true }, f.connect);
    await q.prepare();
    await expect(q.quiesce(30)).rejects.toMatchObject({
      exitCode: 9,
      message: expect.stringMatching(/^app db1 \(mysql\): could not prepare the lock .*SUPER/),
    });
    expect(f.log.some((l) => /BACKUP STAGE START/.test(l))).toBe(false);
    await q.close();
  });

  it('says when the locking statement was sent, so the stall is measured from there', async () => {
    const f = fakeConnect(MARIADB);
    const q = new MysqlQuiescer('db1', { type: 'mysql', socketPath: '/s' }, f.connect);
    await q.prepare();
    const before = performance.now();
    const held = await q.quiesce(30);
    expect(held.lockSentAt).toBeGreaterThanOrEqual(before);
    expect(held.lockSentAt).toBeLessThanOrEqual(performance.now());
    await held.release();
    await q.close();
  });

  it('MySQL 8 with only InnoDB tables: LOCK INSTANCE FOR BACKUP, GTID and 8.4 binlog status', async () => {
    const f = fakeConnect(mysql8(0));
    const q = new MysqlQuiescer(
      'db',
      { type: 'mysql', host: 'h', lockWaitTimeoutSeconds: 3 },
      f.connect,
    );
    await q.prepare();
    const held = await q.quiesce(10);
    expect(held.facts).toMatchObject({
      Gtid: '3E11FA47-71CA-11E1-9E33-C80AA9429562:1-5',
      BinlogFile: 'binlog.000009',
    });
    await held.release();
    expect(statements(f.log)).toEqual([
      'h: SET SESSION lock_wait_timeout = 3, wait_timeout = 40',
      'h: SELECT 1',
      'h: LOCK INSTANCE FOR BACKUP',
      'h: UNLOCK INSTANCE',
    ]);
    // 8.4 has no SHOW MASTER STATUS: found out once, before the lock; under it, one statement.
    const status = f.log.filter((l) => /^h: (SHOW .*STATUS|LOCK INSTANCE)/.test(l));
    expect(status).toEqual([
      'h: SHOW MASTER STATUS',
      'h: SHOW BINARY LOG STATUS',
      'h: LOCK INSTANCE FOR BACKUP',
      'h: SHOW BINARY LOG STATUS',
    ]);
  });

  it('MySQL 8 with MyISAM tables: FTWRL after a long-query check', async () => {
    const f = fakeConnect(mysql8(2));
    const q = new MysqlQuiescer('db', { type: 'mysql', host: 'h' }, f.connect);
    await q.prepare();
    await (await q.quiesce(10)).release();
    expect(statements(f.log)).toEqual([
      'h: SET SESSION lock_wait_timeout = 5, wait_timeout = 40',
      'h: SELECT 1',
      'h: LOCK INSTANCE FOR BACKUP',
      'h: FLUSH TABLES WITH READ LOCK',
      'h: UNLOCK TABLES',
      'h: UNLOCK INSTANCE',
    ]);
  });

  it('FTWRL refuses to stall writers behind long queries, or kills them when told to', async () => {
    const rules: Rule[] = [
      [/PROCESSLIST/, [{ id: 77, t: 600, info: 'SELECT big report' }]],
      ...mysql8(1),
    ];
    const abort = fakeConnect(rules);
    const q = new MysqlQuiescer('db', { type: 'mysql', host: 'h' }, abort.connect);
    await q.prepare();
    await expect(q.quiesce(10)).rejects.toMatchObject({
      exitCode: 9,
      message: expect.stringMatching(
        /1 query has run for 10s or more \(e\.g\. SELECT big report\)/,
      ),
    });
    expect(abort.log.some((l) => /FLUSH TABLES/.test(l))).toBe(false);
    const kill = fakeConnect(rules);
    const k = new MysqlQuiescer(
      'db',
      { type: 'mysql', host: 'h', longQueries: 'kill' },
      kill.connect,
    );
    await k.prepare();
    await (await k.quiesce(10)).release();
    expect(kill.log).toContain('c: KILL QUERY 77');
  });

  it('a lock that cannot be taken: exit 9, nothing left locked', async () => {
    const f = fakeConnect([[/BLOCK_COMMIT/, new Error('Lock wait timeout exceeded')], ...MARIADB]);
    const q = new MysqlQuiescer('db', { type: 'mysql', socketPath: '/s' }, f.connect);
    await q.prepare();
    await expect(q.quiesce(10)).rejects.toMatchObject({
      exitCode: 9,
      message: expect.stringMatching(/could not take the lock \(backup-stage.*Lock wait timeout/),
    });
    expect(f.log).toContain('h: BACKUP STAGE END');
  });

  it('a holder lost while frozen fails verification; release has nothing left to undo', async () => {
    const f = fakeConnect(MARIADB);
    const q = new MysqlQuiescer('db', { type: 'mysql', socketPath: '/s' }, f.connect);
    await q.prepare();
    const held = await q.quiesce(10);
    f.sessions[0]!.lose();
    expect(await held.verify()).toBe(false);
    await held.release();
    expect(f.log).not.toContain('h: BACKUP STAGE END');
  });

  it('cannot connect: exit 9', async () => {
    const q = new MysqlQuiescer('db', { type: 'mysql', socketPath: '/s' }, async () => {
      throw new Error('connect ENOENT /s');
    });
    await expect(q.prepare()).rejects.toMatchObject({
      exitCode: 9,
      message: 'app db (mysql): cannot connect: connect ENOENT /s',
    });
  });
});
