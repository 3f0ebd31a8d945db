// The restore proof: a real MariaDB with its datadir on one lab disk and its binlog on another,
// a writer committing every 5 ms; the agent snapshots the group; the snapshot is restored to new
// disks, a second server starts on it, and the checks in violations() must find nothing. A
// deliberately torn copy (disks copied at different moments, no freeze) must be caught.
import {
  copyFileSync,
  chmodSync,
  chownSync,
  constants,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HAVE_MARIADB, TestMariadb, Writer, violations } from '../support/mariadb.js';
import { FAULTY_CLI, requireRoot, runCli, TestLab } from '../support/lab.js';
import { grown } from '../support/progress.js';
import { restoredMariadb } from '../support/restore.js';

const PERIOD_MS = 5;
const PASSWORD = 'Pw-only-in-apps-json-7f3a';
const enabled =
  requireRoot() && (HAVE_MARIADB || process.env.APP_SNAPSHOT_REQUIRE_INTEGRATION === '1');

describe.skipIf(!enabled)('restore proof on a real MariaDB', () => {
  let lab: TestLab;
  let db: TestMariadb;
  let writer: Writer;
  let dataDisk: string;
  let binlogDisk: string;
  const appsConfig = () => join(lab.root, 'apps.json');

  beforeAll(async () => {
    if (!HAVE_MARIADB)
      throw new Error('mariadbd is not installed (.ci/run installs mariadb-server)');
    lab = await new TestLab().up(2, 'ext4,xfs');
    dataDisk = lab.state.disks[0]!.id;
    binlogDisk = lab.state.disks[1]!.id;
    db = new TestMariadb({
      datadir: join(lab.mount(0), 'mysql'),
      binlogDir: join(lab.mount(1), 'binlog'),
      runDir: join(lab.root, 'run'),
      name: 'live',
    });
    db.init();
    await db.start();
    const c = await db.connect();
    await c.query('CREATE DATABASE proof');
    await c.query(
      'CREATE TABLE proof.pit (seq BIGINT PRIMARY KEY, ts DATETIME(6) NOT NULL) ENGINE=InnoDB',
    );
    // The quiescer logs in as a least-privilege user with a password (kept only in apps.json).
    await c.query(`CREATE USER 'snap'@'localhost' IDENTIFIED BY '${PASSWORD}'`);
    await c.query("GRANT RELOAD, BINLOG MONITOR, PROCESS ON *.* TO 'snap'@'localhost'");
    writer = new Writer(c, PERIOD_MS);
    writeFileSync(
      appsConfig(),
      JSON.stringify({
        apps: {
          db: { type: 'mysql', socketPath: db.socket, user: 'snap', password: PASSWORD },
          clean: { type: 'mysql', socketPath: db.socket, user: 'root', clean: true },
        },
      }),
      { mode: 0o600 },
    );
    chownSync(appsConfig(), 0, 0);
  });

  afterAll(async () => {
    await writer?.stop().catch(() => undefined);
    await db?.stop();
    for (const f of readdirSync('/tmp').filter((n) => /^mysql(freeze|thaw)\d+\.(log|tmp)$/.test(n)))
      rmSync(join('/tmp', f), { force: true });
    await lab?.down();
  });

  /** Restores the given images, starts a second server on them, returns what it finds wrong. */
  async function prove(
    images: { diskId: string; image: string }[],
    tag: string,
    expect_: Omit<Parameters<typeof violations>[1], 'acks' | 'periodMs'>,
  ) {
    const { server: copy, cleanup } = restoredMariadb(lab, images, tag);
    try {
      await copy.start();
      return await violations(copy, { acks: writer.acks, periodMs: PERIOD_MS, ...expect_ });
    } catch (e) {
      return [
        `the server did not start on the restored disks: ${(e as Error).message.split('\n')[0]}`,
      ];
    } finally {
      await cleanup();
    }
  }

  /** One snapshot while the writer commits: some writes before it, some after. */
  async function snapshotUnderLoad(
    words: string[],
    env: NodeJS.ProcessEnv,
    beforeMs: number,
    afterMs: number,
  ) {
    writer.start();
    await new Promise((r) => setTimeout(r, beforeMs));
    const r = await lab.snapshot(words, { env });
    await new Promise((res) => setTimeout(res, afterMs));
    await writer.stop();
    return r;
  }

  const snapshotImages = (groupId: string, snaps: { SnapshotId: string; DiskId: string }[]) =>
    snaps.map((s) => ({
      diskId: s.DiskId,
      image: join(lab.pool, 'groups', groupId, `${s.SnapshotId}.img`),
    }));

  it('built-in quiescer: every acknowledged commit is there, nothing newer than the lock, GTID as recorded', async () => {
    const r = await snapshotUnderLoad(
      ['-Name=dbproof', '-Apps=db'],
      { APP_SNAPSHOT_APPS_CONFIG: appsConfig() },
      500,
      300,
    );
    expect(r.json?.Error).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.json.Consistency).toBe('AppConsistent');
    const app = r.json.Apps[0];
    expect(app).toMatchObject({ Name: 'db', Held: true });
    expect(app.Mode).toMatch(/^backup-stage/);
    expect(app.Facts.Gtid).toMatch(/^0-1-\d+$/);
    expect(r.json.Snapshots[0].Tags).toMatchObject({
      AppConsistent: 'True',
      'db.Gtid': app.Facts.Gtid,
      'db.LockTime': app.Facts.LockTime,
    });
    const found = await prove(snapshotImages(r.json.SnapshotGroupId, r.json.Snapshots), 'agent', {
      lockTime: app.Facts.LockTime,
      gtid: app.Facts.Gtid,
    });
    expect(found).toEqual([]);
    // The password is in apps.json only: not in the output, not in any log.
    const logs = readdirSync(lab.logDir).map((f) => readFileSync(join(lab.logDir, f), 'utf8'));
    expect([r.stdout, r.stderr, ...logs].join('\n')).not.toContain(PASSWORD);
  });

  it('built-in quiescer without the freeze (-EnableFsFreeze=false): no claim at all, whatever the restore shows (issue 27)', async () => {
    const r = await snapshotUnderLoad(
      ['-Name=dbnofreeze', '-Apps=db', '-EnableFsFreeze=false'],
      { APP_SNAPSHOT_APPS_CONFIG: appsConfig() },
      500,
      300,
    );
    expect(r.code, r.stderr).toBe(0);
    expect([r.json.Consistency, r.json.FreezeHeld, r.json.Frozen]).toEqual(['None', false, []]);
    for (const sn of r.json.Snapshots) {
      expect(sn.Tags.AppConsistent).toBeUndefined();
      expect(sn.Tags.FsConsistent).toBeUndefined();
    }
    expect(r.json.Warnings.join('\n')).toMatch(/EnableFsFreeze=false: the built-in quiescers/);
    // What a restore of such a clone shows is logged: the tags claim nothing either way.
    const found = await prove(snapshotImages(r.json.SnapshotGroupId, r.json.Snapshots), 'nofrz', {
      lockTime: r.json.Apps[0].Facts.LockTime,
      gtid: r.json.Apps[0].Facts.Gtid,
    });
    console.log(`no-freeze restore: ${found.length ? found.join('; ') : 'consistent this time'}`);
  });

  it('check connects and says how the database would be quiesced, locking nothing', async () => {
    const r = await runCli(
      ['check', '-Name=check1', '-Engine=local', `-Pool=${lab.pool}`, '-Apps=db,clean', '--json'],
      {
        env: { ...lab.env, APP_SNAPSHOT_APPS_CONFIG: appsConfig() },
      },
    );
    expect(r.code).toBe(0);
    const plan = JSON.parse(r.stdout);
    expect(plan.Consistency).toBe('AppConsistent');
    expect(plan.Apps.map((a: { Plan: string }) => a.Plan)).toEqual([
      expect.stringMatching(/^10\.11\.\d+-MariaDB.*: BACKUP STAGE START \+ BLOCK_COMMIT/),
      expect.stringMatching(/BLOCK_COMMIT .*, clean \(checkpoints\)$/),
    ]);
    // Where its data is: found through the server's process (pid), on the lab disk, in the group.
    expect(plan.Apps[0].Data).toEqual([
      expect.objectContaining({
        What: 'the data directory',
        Path: join(lab.mount(0), 'mysql'),
        Pid: expect.any(Number),
        Container: false,
        MountPoint: lab.mount(0),
        InGroup: true,
      }),
    ]);
    expect(plan.Apps[0].Data[0].Note).toBeUndefined();
  });

  it('clean mode under load: checkpointed under the lock, says how far purge got, the restore consistent', async () => {
    const r = await snapshotUnderLoad(
      ['-Name=clean', '-Apps=clean'],
      { APP_SNAPSHOT_APPS_CONFIG: appsConfig() },
      300,
      200,
    );
    expect(r.json?.Error).toBeUndefined();
    const app = r.json.Apps[0];
    // Under a writer on a loaded machine purge may not catch up within its bound (CI saw it
    // once in four runs at 7278af7): then the tag says so, which is the product's promise; the
    // idle test below requires 'purged'.
    expect(app.Facts.Clean).toMatch(
      /^(purged|purge behind), checkpointed(, redo after the checkpoint)?$/,
    );
    // BLOCK_COMMIT stops commits, not statements. The writer's next INSERT, if it arrives
    // between the checkpoint and the freeze, writes its row's redo and then waits at its
    // commit; a restore replays that redo and rolls the insert back. The run reads the log's
    // end after the thaw and says so ("redo after the checkpoint").
    const found = await prove(snapshotImages(r.json.SnapshotGroupId, r.json.Snapshots), 'clean', {
      lockTime: app.Facts.LockTime,
      gtid: app.Facts.Gtid,
      // Unless the run said redo was written after the checkpoint, none may be replayed.
      noRedoApply: app.Facts.Clean === 'purged, checkpointed',
    });
    expect(found).toEqual([]);
  });

  it('clean mode with no statement in flight: the restore replays no redo at all', async () => {
    // InnoDB's own threads may write redo under the lock (statistics of the load test before,
    // seconds late; CI r20 saw it): the run then says "redo after the checkpoint" and its
    // restore is still consistent. A later run finds the server quiet; each one is proven.
    const facts: string[] = [];
    for (let i = 0; i < 4 && facts.at(-1) !== 'purged, checkpointed'; i++) {
      const r = await lab.snapshot([`-Name=clean-idle-${i}`, '-Apps=clean'], {
        env: { APP_SNAPSHOT_APPS_CONFIG: appsConfig() },
      });
      expect(r.json?.Error).toBeUndefined();
      const app = r.json.Apps[0];
      facts.push(app.Facts.Clean);
      expect(app.Facts.Clean).toMatch(/^purged, checkpointed(, redo after the checkpoint)?$/);
      const images = snapshotImages(r.json.SnapshotGroupId, r.json.Snapshots);
      const noRedoApply = app.Facts.Clean === 'purged, checkpointed';
      const found = await prove(images, `clean-idle-${i}`, { gtid: app.Facts.Gtid, noRedoApply });
      expect(found).toEqual([]);
    }
    expect(facts.at(-1)).toBe('purged, checkpointed');
  });

  it('negative control: the two disks copied at different moments without a freeze are caught', async () => {
    writer.start();
    await grown(writer.acks, 20);
    const copies = [dataDisk, binlogDisk].map((id) => ({
      diskId: id,
      image: join(lab.pool, `torn-${id}.img`),
    }));
    copyFileSync(
      join(lab.pool, 'disks', `${dataDisk}.img`),
      copies[0]!.image,
      constants.COPYFILE_FICLONE_FORCE,
    );
    await grown(writer.acks, 20); // commits between the two copies
    copyFileSync(
      join(lab.pool, 'disks', `${binlogDisk}.img`),
      copies[1]!.image,
      constants.COPYFILE_FICLONE_FORCE,
    );
    await new Promise((r) => setTimeout(r, 100));
    await writer.stop();
    try {
      const found = await prove(copies, 'torn', {});
      expect(found.join('\n')).toMatch(
        /does not match the newest row's GTID|did not start|missing|CHECK TABLE|error log/,
      );
    } finally {
      for (const c of copies) rmSync(c.image, { force: true });
    }
  });

  it('a holder killed in the middle of the snapshot never yields AppConsistent', async () => {
    const groups = join(lab.pool, 'groups');
    const before = new Set(readdirSync(groups));
    const run = lab.snapshot(['-Name=killed', '-Apps=db'], {
      env: {
        APP_SNAPSHOT_APPS_CONFIG: appsConfig(),
        APP_SNAPSHOT_LOCAL_FAULT: 'create-delay=1500',
      },
      cli: FAULTY_CLI,
    });
    // Inside the frozen window (the group is being created), kill the agent's sessions.
    while (!readdirSync(groups).some((g) => !before.has(g)))
      await new Promise((r) => setTimeout(r, 20));
    const c = await db.connect();
    const [rows] = await c.query(
      'SELECT ID AS id FROM information_schema.PROCESSLIST WHERE ID <> CONNECTION_ID() AND ID <> ?',
      [writer.threadId],
    );
    for (const row of rows as { id: number }[])
      await c.query(`KILL ${Number(row.id)}`).catch(() => undefined);
    await c.end();
    const r = await run;
    expect(r.code).toBe(0);
    expect(r.json.Apps[0]).toMatchObject({ Name: 'db', Held: false });
    expect(r.json.Consistency).toBe('FsConsistent');
    for (const snap of r.json.Snapshots) expect(Object.keys(snap.Tags)).toEqual(['FsConsistent']);
  });

  it("the vendor's published scripts, unchanged but for this machine, also restore consistently", async () => {
    const fixtures = join(import.meta.dirname, '../fixtures/vendor-mysql');
    const scripts = ['prescript.sh', 'postscript.sh'].map((f) => {
      const p = join(lab.root, f);
      copyFileSync(join(fixtures, f), p);
      chmodSync(p, 0o700);
      chownSync(p, 0, 0);
      return p;
    });
    const r = await snapshotUnderLoad(
      ['-Name=vendor', `-PreScriptPath=${scripts[0]}`, `-PostScriptPath=${scripts[1]}`],
      { MYSQL_USER: 'root', MYSQL_PASSWORD: '', MYSQL_SOCKET: db.socket },
      300,
      300,
    );
    expect(r.json?.Error).toBeUndefined();
    expect(r.json.Consistency).toBe('AppConsistent');
    expect(r.stderr).toMatch(/Found sleep command in processlist,freeze success/);
    expect(r.stderr).toMatch(/Stop sql process \d+ success/);
    // No lock time or GTID is recorded by the scripts: the checks that remain are no holes,
    // binlog and data agree, CHECK TABLE, the error log.
    expect(
      await prove(snapshotImages(r.json.SnapshotGroupId, r.json.Snapshots), 'vendor', {}),
    ).toEqual([]);
  });
});
