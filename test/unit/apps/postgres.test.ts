import { describe, expect, it } from 'vitest';
import { PostgresQuiescer, chunks, unchunk } from '../../../src/apps/postgres.js';
import type { PostgresAppConfig } from '../../../src/apps/config.js';
import { fakeConnect, type Rule } from '../../support/fake-sql.js';

const LABEL =
  'START WAL LOCATION: 0/5000028 (file 000000010000000000000005)\nCHECKPOINT LOCATION: 0/5000060\nBACKUP METHOD: streamed\nBACKUP FROM: primary\nSTART TIME: 2026-11-26 06:00:00 UTC\nLABEL: app-snapshot-plugin pg\nSTART TIMELINE: 1\n';

const pg = (
  num: number,
  o: { unlogged?: number; tablespaces?: { n: string; p: string }[] } = {},
): Rule[] => [
  [
    /server_version_num/,
    [{ n: String(num), v: `PostgreSQL ${Math.floor(num / 10000)}.4 on x86_64` }],
  ],
  [/data_directory/, [{ d: '/srv/pg/data' }]],
  [/pg_tablespace/, o.tablespaces ?? []],
  [/relpersistence/, [{ n: String(o.unlogged ?? 0) }]],
  [/pg_current_wal_lsn/, [{ lsn: '0/5000148', tli: '1', sysid: '7441234567890123456' }]],
  [/pg_backup_stop|pg_stop_backup/, [{ lsn: '0/6000100', labelfile: LABEL, spcmapfile: '' }]],
];
/** The group holds /srv/pg/data only, or also the WAL directory. */
const layout = (inGroup: string[]) => ({
  inGroup: (p: string) => inGroup.some((g) => p.startsWith(g)),
});
// pg_wal is a link to /srv/wal/pg_wal (initdb -X), as on many servers.
const resolve = (p: string) => (p === '/srv/pg/data/pg_wal' ? '/srv/wal/pg_wal' : p);
const make = (rules: Rule[], c: Partial<PostgresAppConfig> = {}) => {
  const f = fakeConnect(rules);
  const q = new PostgresQuiescer(
    'pg',
    { type: 'postgresql', socketDir: '/run/pg', ...c },
    f.connect,
    resolve,
  );
  return { f, q };
};
const statements = (log: string[]) =>
  log.filter((l) => !/server_version_num|data_directory|pg_tablespace|relpersistence/.test(l));

describe('PostgresQuiescer', () => {
  it('a server in a container: its directories are placed through its process, not looked up on this host (where they do not exist)', async () => {
    const asked: string[] = [];
    // The fake honours its arguments: only the server's own paths, named as it names them,
    // are placed; in the group when under /var/lib/postgresql (the container's bind mount).
    const placing = {
      inGroup: () => {
        throw new Error('looked up on this host');
      },
      place: (path: string, names: readonly string[]) => {
        asked.push(`${path} ${names.join('/')}`);
        return {
          path,
          container: true,
          inGroup: path.startsWith('/srv/pg'),
          hostPath: `/data/ctr${path}`,
        };
      },
    };
    const noHostPath = () => {
      throw new Error('ENOENT: no such file or directory, realpath');
    };
    const q2 = new PostgresQuiescer(
      'pg',
      { type: 'postgresql', socketDir: '/run/pg' },
      fakeConnect(pg(160004)).connect,
      noHostPath,
    );
    await q2.prepare(placing);
    expect(q2.plan()).toMatch(/atomic: CHECKPOINT/);
    expect(asked).toEqual([
      '/srv/pg/data postgres/postmaster',
      '/srv/pg/data/pg_wal postgres/postmaster',
    ]);
    await q2.close();
  });
  it('atomic when data, pg_wal and tablespaces are all in the group: CHECKPOINT, position recorded, nothing held', async () => {
    const { f, q } = make(pg(160004));
    await q.prepare(layout(['/srv/pg', '/srv/wal']));
    expect(q.plan()).toMatch(
      /^PostgreSQL 16\.4: atomic: CHECKPOINT before the freeze, nothing held/,
    );
    const held = await q.quiesce();
    expect(held.facts).toEqual({
      Mode: 'atomic',
      Lsn: '0/5000148',
      Timeline: '1',
      SystemId: '7441234567890123456',
    });
    expect(await held.verify()).toBe(true);
    await held.afterThaw?.();
    await held.release();
    await q.close();
    expect(statements(f.log)).toEqual([
      'h: CHECKPOINT',
      expect.stringMatching(/^h: SELECT pg_current_wal_lsn\(\)/),
      'h: END',
    ]);
  });

  it('auto picks backup when pg_wal is outside the group: start and stop in the same session, the label chunked into facts', async () => {
    const { f, q } = make(pg(170002), { waitForArchive: true });
    await q.prepare(layout(['/srv/pg']));
    expect(q.plan()).toMatch(
      /backup: pg_backup_start .* \(pg_wal \(\/srv\/wal\/pg_wal\) not in the group\)/,
    );
    const held = await q.quiesce();
    expect(held.facts.Mode).toBe('backup');
    await held.afterThaw!();
    expect(held.facts.StopLsn).toBe('0/6000100');
    expect(unchunk(held.facts, 'BackupLabel')).toBe(LABEL);
    expect(Object.values(held.facts).every((v) => v.length <= 128)).toBe(true);
    await held.release(); // already stopped: nothing more
    expect(f.sessions).toHaveLength(1);
    expect(statements(f.log)).toEqual([
      expect.stringMatching(/^h: SELECT pg_backup_start\('app-snapshot-plugin pg .*', true\)$/),
      expect.stringMatching(/^h: SELECT pg_current_wal_lsn/),
      'h: SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_backup_stop(true)',
    ]);
  });

  it('PostgreSQL 12-14: the non-exclusive pg_start_backup / pg_stop_backup', async () => {
    const { f, q } = make(pg(130015), { mode: 'backup' });
    await q.prepare(layout(['/srv']));
    expect(q.plan()).toMatch(/pg_start_backup .*asked for in the apps config/);
    const held = await q.quiesce();
    await held.afterThaw!();
    expect(statements(f.log)).toEqual([
      expect.stringMatching(/^h: SELECT pg_start_backup\('.*', true, false\)$/),
      expect.stringMatching(/pg_current_wal_lsn/),
      'h: SELECT lsn::text AS lsn, labelfile, spcmapfile FROM pg_stop_backup(false, false)',
    ]);
  });

  it('refuses atomic mode when pg_wal or a tablespace is outside the group (exit 1), and any mode without the data directory', async () => {
    const ts = { tablespaces: [{ n: 'fast', p: '/nvme/ts' }] };
    const atomic = make(pg(160004, ts), { mode: 'atomic' }).q;
    await expect(atomic.prepare(layout(['/srv/pg']))).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(
        /atomic mode needs the whole cluster in the group, but pg_wal \(\/srv\/wal\/pg_wal\), tablespace fast \(\/nvme\/ts\) are not on its disks/,
      ),
    });
    await expect(make(pg(160004)).q.prepare(layout(['/srv/wal']))).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(
        /the data directory \/srv\/pg\/data is not on a disk of this group/,
      ),
    });
  });

  it('says that unlogged tables come back empty, and refuses PostgreSQL 11 (exit 9)', async () => {
    const { q } = make(pg(160004, { unlogged: 3 }));
    await q.prepare(layout(['/srv']));
    expect(q.plan()).toMatch(/warning: 3 unlogged table\(s\) come back empty from any restore/);
    await expect(make(pg(110022)).q.prepare(layout(['/srv']))).rejects.toMatchObject({
      exitCode: 9,
      message: expect.stringMatching(/PostgreSQL 11 is not supported/),
    });
  });

  it('a backup whose session was lost fails verification; pg_backup_stop failing after the thaw is exit 10', async () => {
    const lost = make(pg(160004), { mode: 'backup' });
    await lost.q.prepare(layout(['/srv']));
    const held = await lost.q.quiesce();
    lost.f.sessions[0]!.lose();
    expect(await held.verify()).toBe(false);
    await held.release();
    expect(lost.f.log.some((l) => /pg_backup_stop/.test(l))).toBe(false);

    const failing = make(
      [[/pg_backup_stop/, new Error('backup is not in progress')], ...pg(160004)],
      {
        mode: 'backup',
      },
    );
    await failing.q.prepare(layout(['/srv']));
    const h2 = await failing.q.quiesce();
    await expect(h2.afterThaw!()).rejects.toMatchObject({
      exitCode: 10,
      message: expect.stringMatching(/pg_backup_stop failed: backup is not in progress/),
    });
  });
});

describe('chunks / unchunk', () => {
  it('round-trips a text through tag-sized base64 pieces', () => {
    const text = 'x'.repeat(500) + 'é';
    const c = chunks('BackupLabel', text);
    expect(Object.keys(c)).toEqual([
      'BackupLabel.1',
      'BackupLabel.2',
      'BackupLabel.3',
      'BackupLabel.4',
      'BackupLabel.5',
      'BackupLabel.6',
    ]);
    expect(Object.values(c).every((v) => v.length <= 120)).toBe(true);
    const tags = Object.fromEntries(Object.entries(c).map(([k, v]) => [`pg.${k}`, v]));
    expect(unchunk({ ...tags, 'pg.Lsn': '0/1' }, 'pg.BackupLabel')).toBe(text);
    expect(chunks('X', '')).toEqual({});
  });
});
