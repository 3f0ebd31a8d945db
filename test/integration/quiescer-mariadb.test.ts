// The quiescer contract against a real MariaDB server (a private one of the test's own): the
// "is it locked" question goes to the server, as a commit from another session that must wait
// while BACKUP STAGE BLOCK_COMMIT is held (lock_wait_timeout=1 makes the wait an answer).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MysqlQuiescer } from '../../src/apps/mysql.js';
import { mysql2Connect } from '../../src/apps/mysql2-conn.js';
import { describeQuiescerContract } from '../contract/quiescer-contract.js';
import { requireRoot } from '../support/lab.js';
import { HAVE_MARIADB, TestMariadb } from '../support/mariadb.js';

describe.runIf(requireRoot() && HAVE_MARIADB)('MySQL quiescer on a real MariaDB', () => {
  let root: string;
  let server: TestMariadb;
  beforeAll(async () => {
    root = mkdtempSync('/tmp/asp-qmaria-');
    server = new TestMariadb({
      datadir: join(root, 'data'),
      binlogDir: join(root, 'binlog'),
      runDir: join(root, 'run'),
      name: 'contract',
    });
    server.init();
    await server.start();
    const c = await server.connect();
    await c.query('CREATE DATABASE probe');
    await c.query('CREATE TABLE probe.t (id INT AUTO_INCREMENT PRIMARY KEY) ENGINE=InnoDB');
    await c.end();
  });
  afterAll(async () => {
    await server?.stop();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  /** Whether a commit from a session of its own has to wait: the server's own answer. */
  async function commitsWait(): Promise<boolean> {
    const c = await server.connect();
    try {
      await c.query('SET SESSION lock_wait_timeout = 1');
      await c.query('INSERT INTO probe.t VALUES ()');
      return false;
    } catch (e) {
      if ((e as { errno?: number }).errno === 1205) return true; // ER_LOCK_WAIT_TIMEOUT
      throw e;
    } finally {
      c.destroy();
    }
  }

  describeQuiescerContract('mysql on a real MariaDB (BACKUP STAGE)', () => {
    const config = { type: 'mysql', socketPath: server.socket, user: 'root' } as const;
    const sessions: number[] = [];
    const q = new MysqlQuiescer('db', config, async () => {
      const s = await mysql2Connect(config);
      sessions.push(s.threadId);
      return s;
    });
    return {
      quiescer: q,
      // The holder (its first session) is killed on the server, as a DBA's KILL would.
      lose: async () => {
        const c = await server.connect();
        try {
          await c.query(`KILL ${sessions[0]!}`);
        } finally {
          c.destroy();
        }
      },
      isLocked: commitsWait,
    };
  });

  it('clean mode reads the log after the thaw: nothing written since the checkpoint is "purged, checkpointed"; a statement that wrote redo under the lock is said', async () => {
    const config = { type: 'mysql', socketPath: server.socket, user: 'root', clean: true } as const;
    const q = new MysqlQuiescer('db', config, () => mysql2Connect(config));
    const other = await server.connect();
    try {
      await q.prepare();
      // Idle: InnoDB's own threads may still write once (statistics of the tests before, a
      // few seconds late); a later lock then finds the log quiet.
      const facts: string[] = [];
      for (let i = 0; i < 4 && facts.at(-1) !== 'purged, checkpointed'; i++) {
        const held = await q.quiesce(30);
        expect(await held.verify()).toBe(true);
        facts.push(held.facts.Clean!);
        await held.release();
      }
      expect(facts.at(-1)).toBe('purged, checkpointed');
      // A statement that arrives under the lock writes its row's redo, then waits at commit.
      const lsn = async () => {
        const [rows] = await other.query("SHOW GLOBAL STATUS LIKE 'Innodb_lsn_current'");
        return BigInt((rows as { Value: string }[])[0]!.Value);
      };
      const held = await q.quiesce(30);
      const before = await lsn();
      const writer = await server.connect();
      const insert = writer.query('INSERT INTO probe.t VALUES ()');
      // Waits for the event (its redo), bounded well inside the lock's dead-man timeout.
      for (let i = 0; (await lsn()) === before; i++) {
        if (i >= 500) throw new Error('the INSERT under the lock wrote no redo within 10 s');
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(await held.verify()).toBe(true);
      expect(held.facts.Clean).toBe('purged, checkpointed, redo after the checkpoint');
      await held.release();
      await insert; // its commit goes through once the lock is released
      writer.destroy();
    } finally {
      other.destroy();
      await q.close();
    }
  });

  it('clean mode behind a transaction that keeps an old read view: purge cannot catch up, the lock is taken anyway and the log says so', async () => {
    const reader = await server.connect();
    const writer = await server.connect();
    try {
      await writer.query('INSERT INTO probe.t VALUES (), (), ()');
      await reader.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
      await reader.query('SELECT COUNT(*) FROM probe.t');
      // History that purge must keep while the reader may still see it.
      for (let i = 0; i < 20; i++)
        await writer.query('UPDATE probe.t SET id = id + 1000 ORDER BY id DESC');
      const config = {
        type: 'mysql',
        socketPath: server.socket,
        user: 'root',
        clean: true,
        lockWaitTimeoutSeconds: 1,
      } as const;
      const q = new MysqlQuiescer('db', config, () => mysql2Connect(config));
      try {
        await q.prepare();
        const held = await q.quiesce(30);
        expect(held.facts.Clean).toBe('purge behind, checkpointed');
        // The waiting commit wrote its row's redo after the checkpoint: said after the thaw.
        expect(await commitsWait()).toBe(true);
        expect(await held.verify()).toBe(true);
        expect(held.facts.Clean).toBe('purge behind, checkpointed, redo after the checkpoint');
        await held.release();
        expect(await commitsWait()).toBe(false);
      } finally {
        await q.close();
      }
    } finally {
      reader.destroy();
      writer.destroy();
    }
  });
});
