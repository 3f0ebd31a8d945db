#!/usr/bin/env node
// npm run bench (PostgreSQL part): under a writer committing every 5 ms to a real PostgreSQL
// whose data directory and pg_wal live on two lab disks, one snapshot group at a time,
// measured three ways: the built-in quiescer in atomic mode, in backup mode (WAL archiving
// on), and freeze only. Reported per way, median over BENCH_DB_RUNS runs (default 5): the
// longest write stall (the slowest commit) and the time commits spent stalled (commits over
// 20 ms, summed), measured as bench-db.mjs measures MariaDB. Needs root and postgresql.
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
import { labUp, median, snapshotUnderWriter } from './bench-lib.mjs';

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
const env = {
  ...process.env,
  APP_SNAPSHOT_STATE_DIR: join(root, 'state'),
  APP_SNAPSHOT_LOG_DIR: join(root, 'logs'),
};
let dataDir;
try {
  const labRoot = join(root, 'lab');
  const lab = labUp(CLI, labRoot);
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
    const m = await snapshotUnderWriter({
      insert: () => conn.query('INSERT INTO w (seq, ts) VALUES ($1, clock_timestamp())', [++seq]),
      cli: CLI,
      args: [`-Name=benchpg${seq}`, '-Engine=local', `-Pool=${lab.pool}`, ...words],
      env: { ...env, APP_SNAPSHOT_APPS_CONFIG: apps },
      periodMs: PERIOD_MS,
      stallMs: STALL_MS,
    });
    return { ...m, consistency: m.result.Consistency };
  }

  const rows = [];
  for (const [name, words] of Object.entries(ways)) {
    const samples = [];
    for (let i = 0; i < RUNS; i++) samples.push(await measure(words));
    const longest = samples.map((s) => s.longestStallMs);
    rows.push({
      way: name,
      consistency: samples[0].consistency,
      longestStallMs: median(longest),
      stallRange: [Math.min(...longest), Math.max(...longest)],
      stalledMs: median(samples.map((s) => s.stalledMs)),
    });
  }
  await conn.end();

  const f = (x) => x.toFixed(1).padStart(10);
  console.log(
    `\nPostgreSQL ${version}, writer every ${PERIOD_MS} ms, ${RUNS} snapshots per way, medians in ms`,
  );
  console.log(
    'way             | result        | longest write stall (min-max)   | commits stalled >20 ms',
  );
  console.log(
    '--------------- | ------------- | ------------------------------- | ----------------------',
  );
  for (const r of rows) {
    const range = `(${r.stallRange[0].toFixed(0)}-${r.stallRange[1].toFixed(0)})`.padEnd(13);
    console.log(
      `${r.way.padEnd(15)} | ${r.consistency.padEnd(13)} | ${f(r.longestStallMs)} ${range}        | ${f(r.stalledMs)}`,
    );
  }
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
