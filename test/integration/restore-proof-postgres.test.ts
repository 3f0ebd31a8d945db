// The restore proof on a real PostgreSQL: the data directory on one lab disk and pg_wal on
// another, a writer committing every 5 ms with client-side acknowledgement times. For each way
// of quiescing (atomic, backup, freeze only, and the naive two-session hooks for comparison)
// the agent snapshots the group; the snapshot is restored to new disks and a second server
// starts on it; pgViolations() must find nothing. Disks copied at different moments (torn)
// must be caught.
import {
  chmodSync,
  chownSync,
  constants,
  copyFileSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
  symlinkSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unchunk } from '../../src/apps/postgres.js';
import { requireRoot, TestLab, type CliRun } from '../support/lab.js';
import {
  HAVE_POSTGRES,
  lsnValue,
  PgWriter,
  SUPERUSER_PASSWORD,
  TestPostgres,
  pgViolations,
  postgresDir,
  postgresFile,
  type PgExpectation,
} from '../support/postgres.js';
import { grown } from '../support/progress.js';
import { restoreImages } from '../support/restore.js';

const PERIOD_MS = 5;
/** No upper bound in time (backup mode is bounded by WAL position instead). */
const FOREVER = 2n ** 63n;
const PASSWORD = 'Pg-snap-only-in-apps-json-5e1b';
const enabled =
  requireRoot() && (HAVE_POSTGRES || process.env.APP_SNAPSHOT_REQUIRE_INTEGRATION === '1');

describe.skipIf(!enabled)('restore proof on a real PostgreSQL', () => {
  let lab: TestLab;
  let db: TestPostgres;
  let writer: PgWriter;
  let dataDisk: string;
  let walDisk: string;
  let socketDir: string;
  let archiveDir: string;
  const port = 20000 + (process.pid % 10000);
  const appsConfig = () => join(lab.root, 'apps.json');

  beforeAll(async () => {
    if (!HAVE_POSTGRES)
      throw new Error('PostgreSQL is not installed (.ci/run installs postgresql)');
    lab = await new TestLab().up(2, 'ext4,xfs');
    // The postgres user must reach the mounts and its socket directory.
    for (const d of [lab.root, join(lab.root, 'lab'), join(lab.root, 'lab', 'mnt')])
      chmodSync(d, 0o711);
    dataDisk = lab.state.disks[0]!.id;
    walDisk = lab.state.disks[1]!.id;
    socketDir = postgresDir(join(lab.root, 'pgrun'), 0o755);
    db = new TestPostgres({
      dataDir: join(lab.mount(0), 'pgdata'),
      walDir: join(lab.mount(1), 'pgwal'),
      socketDir,
      port,
      name: 'live',
    });
    db.init();
    // WAL archiving, as backup mode needs: its restore replays the archived WAL up to the
    // backup's end. The archive stands for storage outside the instance.
    archiveDir = postgresDir(join(lab.root, 'archive'));
    db.start(`-c archive_mode=on -c archive_command='cp %p ${archiveDir}/%f'`);
    const c = await db.connect();
    await c.query('CREATE TABLE pit (seq bigint PRIMARY KEY, ts timestamptz NOT NULL)');
    // The quiescer logs in as a least-privilege role with a password (kept only in apps.json).
    await c.query(`CREATE ROLE snap LOGIN PASSWORD '${PASSWORD}'`);
    await c.query('GRANT pg_checkpoint, pg_read_all_settings TO snap');
    await c.query('GRANT EXECUTE ON FUNCTION pg_backup_start(text, boolean) TO snap');
    await c.query('GRANT EXECUTE ON FUNCTION pg_backup_stop(boolean) TO snap');
    await c.query('GRANT EXECUTE ON FUNCTION pg_switch_wal() TO snap');
    writer = new PgWriter(c, PERIOD_MS);
    const app = { type: 'postgresql', socketDir, port, user: 'snap', password: PASSWORD };
    writeFileSync(
      appsConfig(),
      JSON.stringify({
        apps: {
          pg: app,
          pgatomic: { ...app, mode: 'atomic' },
          pgbackup: { ...app, mode: 'backup', waitForArchive: true },
        },
      }),
      { mode: 0o600 },
    );
    chownSync(appsConfig(), 0, 0);
  });

  afterAll(async () => {
    await writer?.stop().catch(() => undefined);
    db?.stop();
    await lab?.down();
  });

  /** One snapshot while the writer commits: some commits before it, some after. */
  async function snapshotUnderLoad(words: string[], env: NodeJS.ProcessEnv = {}) {
    writer.start();
    await grown(writer.acks, 40);
    const r = await lab.snapshot(words, {
      env: { APP_SNAPSHOT_APPS_CONFIG: appsConfig(), ...env },
    });
    await grown(writer.acks, 20);
    await writer.stop();
    return r;
  }

  const window = (
    r: CliRun & { json: any },
  ): Pick<PgExpectation, 'firstFreezeNs' | 'thawEndNs'> => ({
    firstFreezeNs: BigInt(r.json.Marks.firstFreezeNs),
    thawEndNs: BigInt(r.json.Marks.thawEndNs),
  });

  /**
   * Restores the images to new disks, points pg_wal at the restored WAL disk, puts the
   * backup_label back when there is one, starts a second server, returns what it finds wrong.
   */
  async function prove(
    images: { diskId: string; image: string }[],
    tag: string,
    expect_: Omit<PgExpectation, 'acks'>,
    backupLabel?: string,
  ): Promise<string[]> {
    const restored = restoreImages(lab, images, tag);
    const dataDir = join(restored.mounts[dataDisk]!, 'pgdata');
    const walDir = join(restored.mounts[walDisk]!, 'pgwal');
    rmSync(join(dataDir, 'pg_wal'));
    symlinkSync(walDir, join(dataDir, 'pg_wal'));
    if (backupLabel) {
      // The documented restore of a backup-mode group: the label back in the data directory,
      // and recovery from the archive up to the backup's end (then promote).
      postgresFile(join(dataDir, 'backup_label'), backupLabel);
      postgresFile(join(dataDir, 'recovery.signal'), '');
      postgresFile(
        join(dataDir, 'postgresql.auto.conf'),
        `restore_command = 'cp ${archiveDir}/%f %p'\nrecovery_target = 'immediate'\nrecovery_target_action = 'promote'\n`,
        'a',
      );
    }
    rmSync(join(dataDir, 'postmaster.pid'), { force: true });
    for (const d of [
      join(lab.root, `restore-${tag}`),
      restored.mounts[dataDisk]!,
      restored.mounts[walDisk]!,
    ])
      chmodSync(d, 0o711);
    const copy = new TestPostgres({ dataDir, socketDir, port: port + 1, name: tag });
    try {
      copy.start();
      if (backupLabel) await copy.untilPromoted();
      return await pgViolations(copy, { acks: writer.acks, ...expect_ });
    } catch (e) {
      return [
        `the server did not start on the restored disks: ${(e as Error).message.slice(-1500)}`,
      ];
    } finally {
      copy.stop();
      restored.cleanup();
    }
  }

  const imagesOf = (r: { json: any }) =>
    r.json.Snapshots.map((s: { SnapshotId: string; DiskId: string }) => ({
      diskId: s.DiskId,
      image: join(lab.pool, 'groups', r.json.SnapshotGroupId, `${s.SnapshotId}.img`),
    }));
  const tagsOfDisk = (r: { json: any }, disk: string) =>
    r.json.Snapshots.find((s: { DiskId: string }) => s.DiskId === disk).Tags as Record<
      string,
      string
    >;

  it('atomic (both disks in the group): CHECKPOINT only; crash recovery restores every acknowledged commit, none after the thaw', async () => {
    const r = await snapshotUnderLoad(['-Name=pgatomic', '-Apps=pg']);
    expect(r.json?.Error).toBeUndefined();
    expect(r.json.Consistency).toBe('AppConsistent');
    const app = r.json.Apps[0];
    expect(app).toMatchObject({ Name: 'pg', Held: true, Facts: { Mode: 'atomic' } });
    expect(app.Facts.Lsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/);
    expect(tagsOfDisk(r, dataDisk)).toMatchObject({
      AppConsistent: 'True',
      'pg.Lsn': app.Facts.Lsn,
      'pg.Mode': 'atomic',
    });
    // The checks bite on both sides: commits before the freeze and after the thaw exist.
    const w = window(r);
    expect(writer.acks.filter((a) => a.ackNs < w.firstFreezeNs).length).toBeGreaterThan(10);
    expect(writer.acks.filter((a) => a.sentNs > w.thawEndNs).length).toBeGreaterThan(10);
    const found = await prove(imagesOf(r), 'atomic', { ...w, lsn: app.Facts.Lsn });
    expect(found).toEqual([]);
    const logs = readdirSync(lab.logDir).map((f) => readFileSync(join(lab.logDir, f), 'utf8'));
    expect([r.stdout, r.stderr, ...logs].join('\n')).not.toContain(PASSWORD);
  });

  it('backup: pg_backup_start/stop in one session; the backup_label from the tags makes the restore replay from the backup start', async () => {
    const r = await snapshotUnderLoad(['-Name=pgbackup', '-Apps=pgbackup']);
    expect(r.json?.Error).toBeUndefined();
    expect(r.json.Consistency).toBe('AppConsistent');
    const label = unchunk(tagsOfDisk(r, dataDisk), 'pgbackup.BackupLabel');
    expect(label).toMatch(/^START WAL LOCATION: /m);
    expect(label).toMatch(/^BACKUP METHOD: streamed$/m);
    // The restore ends at the backup's end (pg_backup_stop, after the thaw): the upper bound
    // is that WAL position, not the thaw; commits between the thaw and the stop are there.
    const facts = r.json.Apps[0].Facts;
    const bounds = { firstFreezeNs: window(r).firstFreezeNs, thawEndNs: FOREVER };
    // The bound bites: the writer went on well past the backup's end.
    expect(writer.acks.filter((a) => a.lsn > lsnValue(facts.StopLsn)).length).toBeGreaterThan(10);
    const found = await prove(
      imagesOf(r),
      'backup',
      { ...bounds, lsn: facts.Lsn, stopLsn: facts.StopLsn },
      label,
    );
    expect(found).toEqual([]);
  });

  it('freeze only (no quiescer): FsConsistent, and the crash recovery of the image is consistent too', async () => {
    const r = await snapshotUnderLoad(['-Name=pgfreeze']);
    expect(r.json?.Error).toBeUndefined();
    expect(r.json.Consistency).toBe('FsConsistent');
    expect(await prove(imagesOf(r), 'freeze', window(r))).toEqual([]);
  });

  it('the naive two-session hooks fail as in the field ("backup is not in progress"): exit 10, FsConsistent at best', async () => {
    const psql = `PGPASSWORD='${SUPERUSER_PASSWORD}' ${join('/usr/bin', 'psql')} -X -q -h ${socketDir} -p ${port} -U postgres -d postgres -v ON_ERROR_STOP=1`;
    const write = (name: string, sql: string) => {
      const p = join(lab.root, name);
      writeFileSync(p, `#!/bin/sh\n${psql} -c "${sql}"\n`);
      chmodSync(p, 0o700);
      chownSync(p, 0, 0);
      return p;
    };
    const pre = write('pg-pre.sh', "SELECT pg_backup_start('naive', true)");
    const post = write('pg-post.sh', 'SELECT * FROM pg_backup_stop()');
    const r = await snapshotUnderLoad([
      '-Name=pgnaive',
      `-PreScriptPath=${pre}`,
      `-PostScriptPath=${post}`,
    ]);
    expect(r.code).toBe(10);
    expect(r.stderr).toMatch(/backup is not in progress/);
    expect(r.json.Consistency).toBe('FsConsistent');
    // The freeze still held: the image restores by crash recovery, without a backup_label.
    expect(await prove(imagesOf(r), 'naive', window(r))).toEqual([]);
  });

  it('negative control: the WAL disk copied before the data disk, a checkpoint in between, is caught', async () => {
    writer.start();
    await grown(writer.acks, 20);
    const copy = (id: string) => {
      const image = join(lab.pool, `torn-${id}.img`);
      copyFileSync(join(lab.pool, 'disks', `${id}.img`), image, constants.COPYFILE_FICLONE_FORCE);
      return { diskId: id, image };
    };
    const wal = copy(walDisk);
    await grown(writer.acks, 20); // commits the WAL copy lacks
    const c = await db.connect();
    await c.query('CHECKPOINT');
    await c.end();
    const data = copy(dataDisk);
    await writer.stop();
    try {
      const found = await prove([data, wal], 'torn', {
        firstFreezeNs: 0n,
        thawEndNs: FOREVER,
      });
      expect(found.join('\n')).toMatch(/did not start|missing|amcheck|WAL position/);
    } finally {
      rmSync(data.image, { force: true });
      rmSync(wal.image, { force: true });
    }
  });

  it('atomic mode with pg_wal outside the group is refused, exit 1, before anything is frozen', async () => {
    const before = readdirSync(join(lab.pool, 'groups')).length;
    const words = ['-Apps=pgatomic', `-ExcludeDiskId=${walDisk}`];
    const r = await lab.snapshot(['-Name=pgrefused', ...words], {
      env: { APP_SNAPSHOT_APPS_CONFIG: appsConfig() },
    });
    expect(r.code).toBe(1);
    expect(r.json.Error).toMatch(
      /atomic mode needs the whole cluster in the group, but pg_wal \(.*pgwal\) is not on its disks/,
    );
    expect(r.json.Frozen).toEqual([]);
    expect(readdirSync(join(lab.pool, 'groups')).length).toBe(before);
    const { runCli } = await import('../support/lab.js');
    const check = await runCli(
      ['check', '-Name=c2', '-Engine=local', `-Pool=${lab.pool}`, ...words, '--json'],
      { env: { ...lab.env, APP_SNAPSHOT_APPS_CONFIG: appsConfig() } },
    );
    expect(check.code).toBe(1);
    expect(JSON.parse(check.stdout).Error).toMatch(/pg_wal .* is not on its disks/);
  });

  it('check says which mode would be used and why, locking nothing', async () => {
    const { runCli } = await import('../support/lab.js');
    const r = await runCli(
      [
        'check',
        '-Name=check1',
        '-Engine=local',
        `-Pool=${lab.pool}`,
        '-Apps=pg,pgbackup',
        '--json',
      ],
      { env: { ...lab.env, APP_SNAPSHOT_APPS_CONFIG: appsConfig() } },
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).Apps.map((a: { Plan: string }) => a.Plan)).toEqual([
      expect.stringMatching(
        /atomic: CHECKPOINT .*\(the data directory, pg_wal and every tablespace are on disks of the group\)/,
      ),
      expect.stringMatching(/backup: pg_backup_start .*\(asked for in the apps config\)/),
    ]);
    // Where its directories are, through the server's processes: pg_wal (a link) on the other disk.
    expect(JSON.parse(r.stdout).Apps[0].Data).toEqual([
      expect.objectContaining({
        What: 'the data directory',
        Pid: expect.any(Number),
        Container: false,
        MountPoint: lab.mount(0),
        InGroup: true,
      }),
      expect.objectContaining({ What: 'pg_wal', MountPoint: lab.mount(1), InGroup: true }),
    ]);
  });
});
