#!/usr/bin/env node
// npm run bench (PostgreSQL part): under a writer committing every 5 ms to a real PostgreSQL
// whose data directory and pg_wal live on two lab disks, one snapshot group at a time,
// measured three ways: the built-in quiescer in atomic mode, in backup mode (WAL archiving
// on), and freeze only, interleaved round by round with the shipped executable. Reported per
// way, median over BENCH_DB_RUNS rounds (default 5): the longest gap between acknowledged
// commits and the rest, measured as bench-db.mjs measures MariaDB. Needs root and postgresql.
import { spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import * as bench from './bench-lib.mjs';

const CLI = join(import.meta.dirname, '../dist/cli/main.js');
const RUNS = Number(process.env.BENCH_DB_RUNS ?? 5);
const PERIOD_MS = 5;
const STALL_MS = 20;
const PGROOT = '/usr/lib/postgresql';
const version = existsSync(PGROOT) ? readdirSync(PGROOT).sort((a, b) => b - a)[0] : undefined;

if (process.getuid?.() !== 0 || !version) {
  console.error('bench-pg: needs root and postgresql (apt-get install postgresql); skipped');
  process.exit(0);
}
const BIN = join(PGROOT, version, 'bin');
const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);

const must = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
};
const asPostgres = (args) => must('runuser', ['-u', 'postgres', '--', ...args]);
const pgDir = (p, mode = 0o700) => {
  mkdirSync(p, { recursive: true });
  chownSync(p, uid, gid);
  chmodSync(p, mode);
  return p;
};

const root = mkdtempSync('/tmp/asp-benchpg-');
const env = bench.benchEnv(root);
let dataDir;
try {
  const labRoot = join(root, 'lab');
  const lab = bench.labUp(CLI, labRoot);
  for (const d of [root, labRoot, join(labRoot, 'mnt')]) chmodSync(d, 0o711);
  const [data, wal] = lab.disks.map((d) => d.mountPoint);
  dataDir = join(data, 'pgdata');
  const run = pgDir(join(root, 'run'), 0o755);
  const archive = pgDir(join(root, 'archive'));
  pgDir(dataDir);
  pgDir(join(wal, 'pgwal'));
  const port = 30000 + (process.pid % 10000);
  asPostgres([
    join(BIN, 'initdb'),
    '-D',
    dataDir,
    '-X',
    join(wal, 'pgwal'),
    '--auth-local=trust',
    '-U',
    'postgres',
    '--no-instructions',
  ]);
  asPostgres([
    join(BIN, 'pg_ctl'),
    '-D',
    dataDir,
    '-l',
    join(run, 'pg.log'),
    '-w',
    '-o',
    `-k ${run} -p ${port} -c listen_addresses='' -c shared_buffers=64MB -c archive_mode=on -c archive_command='cp %p ${archive}/%f'`,
    'start',
  ]);
  const conn = new pg.Client({ host: run, port, user: 'postgres', database: 'postgres' });
  await conn.connect();
  await conn.query('CREATE TABLE w (seq bigint PRIMARY KEY, ts timestamptz NOT NULL)');

  const apps = join(root, 'apps.json');
  const app = { type: 'postgresql', socketDir: run, port, user: 'postgres' };
  writeFileSync(
    apps,
    JSON.stringify({
      apps: { atomic: app, backup: { ...app, mode: 'backup', waitForArchive: true } },
    }),
    { mode: 0o600 },
  );
  const ways = {
    'atomic (-Apps)': ['-Apps=atomic'],
    'backup (-Apps)': ['-Apps=backup'],
    'freeze only': [],
  };

  let seq = 0;
  async function measure(words) {
    const m = await bench.snapshotUnderWriter({
      insert: () => conn.query('INSERT INTO w (seq, ts) VALUES ($1, clock_timestamp())', [++seq]),
      agent: [bench.EXECUTABLE],
      args: [`-Name=benchpg${seq}`, '-Engine=local', `-Pool=${lab.pool}`, ...words],
      env: { ...env, APP_SNAPSHOT_APPS_CONFIG: apps },
      periodMs: PERIOD_MS,
      stallMs: STALL_MS,
    });
    return { ...m, consistency: m.result.Consistency };
  }

  const rows = bench.stallRows(await bench.interleaved(ways, RUNS, measure));
  await conn.end();
  bench.printStalls(
    `PostgreSQL ${version}, writer every ${PERIOD_MS} ms, ${RUNS} rounds (each way once per round), shipped executable; medians in ms`,
    rows,
    'freeze only',
  );
  if (process.env.BENCH_JSON)
    writeFileSync(`${process.env.BENCH_JSON}.pg.json`, JSON.stringify(rows, null, 2));
} finally {
  if (dataDir && existsSync(join(dataDir, 'postmaster.pid'))) {
    spawnSync('runuser', [
      '-u',
      'postgres',
      '--',
      join(BIN, 'pg_ctl'),
      '-D',
      dataDir,
      '-m',
      'fast',
      '-w',
      'stop',
    ]);
  }
  spawnSync(process.execPath, [CLI, 'lab', 'down', '--root', join(root, 'lab')]);
  rmSync(root, { recursive: true, force: true });
}
