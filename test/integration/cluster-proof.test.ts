// The proof that a cluster-consistent group is worth it, on real MariaDB: two emulated
// instances, each with its own server on its own lab disks; a writer moves money from A to B
// (debit committed on A, then credit committed on B). Restored from one cluster group, every
// credit has its debit, every transfer complete before the locks is there, and the money is
// conserved (counting what was in flight). The negative control in the same test: two
// single-instance runs back to back must be caught with orphaned credits.
import { chownSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Region } from '../../tools/emulator/region.js';
import { audit, createBank, TransferWriter } from '../support/bank.js';
import { agentArgv, requireRoot, TestLab } from '../support/lab.js';
import { HAVE_MARIADB, TestMariadb } from '../support/mariadb.js';
import { operatorCli, STAND_IN } from '../support/operator.js';
import { grown } from '../support/progress.js';
import { restoredMariadb } from '../support/restore.js';

const enabled =
  requireRoot() && (HAVE_MARIADB || process.env.APP_SNAPSHOT_REQUIRE_INTEGRATION === '1');

describe.skipIf(!enabled)('cluster proof: money between two MariaDB instances', () => {
  const labs: TestLab[] = [];
  const dbs: TestMariadb[] = [];
  let region: Region;
  let operator: { accessKeyId: string; accessKeySecret: string };
  let writer: TransferWriter;

  beforeAll(async () => {
    for (const name of ['bankA', 'bankB']) {
      const lab = await new TestLab().up(2, 'ext4,xfs');
      labs.push(lab);
      const db = new TestMariadb({
        datadir: join(lab.mount(0), 'mysql'),
        binlogDir: join(lab.mount(1), 'binlog'),
        runDir: join(lab.root, 'run'),
        name,
      });
      db.init();
      await db.start();
      dbs.push(db);
      await createBank(await db.connect());
      const apps = join(lab.root, 'apps.json');
      writeFileSync(
        apps,
        JSON.stringify({ apps: { db: { type: 'mysql', socketPath: db.socket, user: 'root' } } }),
        { mode: 0o600 },
      );
      chownSync(apps, 0, 0);
    }
    region = new Region({
      agent: agentArgv(),
      pluginManager: STAND_IN,
      progressMs: 200,
      instances: labs.map((lab) => ({
        pool: lab.pool,
        byIdDir: join(lab.root, 'by-id'),
        stateDir: lab.stateDir,
        logDir: lab.logDir,
        env: { APP_SNAPSHOT_APPS_CONFIG: join(lab.root, 'apps.json') },
      })),
    });
    await region.start();
    operator = region.sts.issueAccessKey();
    writer = new TransferWriter(await dbs[0]!.connect(), await dbs[1]!.connect());
  });
  afterAll(async () => {
    await writer?.stop().catch(() => undefined);
    await region?.stop();
    for (const db of dbs) await db.stop();
    for (const l of labs) await l.down();
  });

  const cli = (args: string[]) =>
    operatorCli(
      region,
      operator,
      [
        ...args,
        '-Region=cn-hangzhou',
        '-Engine=ecs',
        '-RamRoleName=AppSnapshotRoleName',
        '-Apps=db',
        '--output',
        'json',
      ],
      { home: labs[0]!.root },
    );

  /** The instance's part of the group named `name`: its images and the lock time it recorded. */
  function part(lab: TestLab, name: string) {
    const dir = join(lab.pool, 'groups');
    for (const id of readdirSync(dir)) {
      const g = JSON.parse(readFileSync(join(dir, id, 'group.json'), 'utf8'));
      if (g.name !== name) continue;
      const snaps = g.snapshots as { id: string; diskId: string; tags: Record<string, string> }[];
      return {
        images: snaps.map((s) => ({ diskId: s.diskId, image: join(dir, id, `${s.id}.img`) })),
        lockTime: snaps[0]!.tags['db.LockTime']!,
        tags: snaps.map((s) => s.tags),
      };
    }
    throw new Error(`no group ${name} in ${lab.pool}`);
  }

  /** A server started on the restored disks of `lab`'s part of group `name`. */
  async function restored(lab: TestLab, name: string, tag: string) {
    const { server: db, cleanup } = restoredMariadb(lab, part(lab, name).images, tag);
    await db.start();
    return { db, conn: await db.connect(), cleanup };
  }

  async function auditPair(groupA: string, groupB: string, tag: string, before: string) {
    const a = await restored(labs[0]!, groupA, `${tag}A`);
    try {
      const b = await restored(labs[1]!, groupB, `${tag}B`);
      try {
        return await audit(a.conn, b.conn, writer.done, before);
      } finally {
        await b.cleanup();
      }
    } finally {
      await a.cleanup();
    }
  }

  /** `cluster run` over both instances while the writer moves money (`minTransfers` first). */
  async function clusterUnderLoad(minTransfers: number, ...params: string[]) {
    writer.start();
    await grown(writer.done, minTransfers);
    const ids = region.instances.map((i) => i.id);
    const c = await cli([
      ...['cluster', 'run', `-Instances=${ids.join(',')}`],
      ...['--advertise', '127.0.0.1', '--listen', '127.0.0.1:0'],
      ...params,
    ]);
    await new Promise((r) => setTimeout(r, 300));
    await writer.stop();
    return c;
  }

  it('one cluster group restores consistent; two back-to-back single runs are caught', async () => {
    // The cluster run, under load.
    const c = await clusterUnderLoad(100, '-Name=bank-cluster');
    const ids = region.instances.map((i) => i.id);
    expect(c.code, c.stderr).toBe(0);
    expect(JSON.parse(c.stdout).ClusterConsistent).toBe(true);
    const [pa, pb] = [part(labs[0]!, 'bank-cluster'), part(labs[1]!, 'bank-cluster')];
    for (const t of [...pa.tags, ...pb.tags])
      expect(t).toMatchObject({ AppConsistent: 'True', ClusterConsistent: 'True' });
    const before = [pa.lockTime, pb.lockTime].sort()[0]!;
    const good = await auditPair('bank-cluster', 'bank-cluster', 'cl', before);
    console.log(`cluster group: ${JSON.stringify(good)}`);
    expect(good.debits).toBeGreaterThanOrEqual(100); // the writer really ran before the freeze
    expect(good.orphanCredits).toBe(0);
    expect(good.missingComplete).toBe(0);
    expect(good.inFlight).toBeLessThanOrEqual(1);
    expect(good.conserved).toBe(true);

    // The negative control: A, then B, each alone (fleet run), with the same writer running.
    writer.start();
    await grown(writer.done, 20);
    const ra = await cli(['fleet', 'run', `-Instances=${ids[0]}`, '-Name=bank-a-alone']);
    // Money moves between the two snapshots (waited for, not slept for): that is what a pair of
    // single runs gets wrong.
    await grown(writer.done, 20);
    const rb = await cli(['fleet', 'run', `-Instances=${ids[1]}`, '-Name=bank-b-alone']);
    await writer.stop();
    expect([ra.code, rb.code]).toEqual([0, 0]);
    const bad = await auditPair('bank-a-alone', 'bank-b-alone', 'ctl', '0000');
    console.log(`two single runs: ${JSON.stringify(bad)}`);
    // Each restore is consistent on its own, but together they hold credits whose debit
    // happened after A's snapshot: the control is caught.
    expect(bad.orphanCredits).toBeGreaterThan(0);
    expect(bad.conserved).toBe(false);
  });

  it('-EnableFsFreeze=false with the built-in quiescers under load: no instance held a freeze, so nothing is claimed (issue 27)', async () => {
    const c = await clusterUnderLoad(50, '-Name=bank-nofreeze', '-EnableFsFreeze=false');
    const j = JSON.parse(c.stdout);
    expect(j.ClusterConsistent, c.stderr).toBe(false);
    for (const i of j.Instances)
      expect(i).toMatchObject({ HeldAtPointInTime: false, Consistency: 'None' });
    const parts = [part(labs[0]!, 'bank-nofreeze'), part(labs[1]!, 'bank-nofreeze')];
    for (const t of parts.flatMap((p) => p.tags)) {
      expect(t.AppConsistent).toBeUndefined();
      expect(t.FsConsistent).toBeUndefined();
      expect(t.ClusterConsistent).toBeUndefined();
    }
    // What a restore of such a clone shows (it may or may not start: the tags claim neither).
    const starts: string[] = [];
    for (const [k, lab] of labs.entries()) {
      const { server, cleanup } = restoredMariadb(lab, part(lab, 'bank-nofreeze').images, `nf${k}`);
      try {
        await server.start();
        starts.push('started');
      } catch (e) {
        starts.push(`did not start: ${(e as Error).message.split('\n')[0]}`);
      } finally {
        await cleanup();
      }
    }
    console.log(`no-freeze cluster group (exit ${c.code}), restores: ${starts.join('; ')}`);
  });
});
