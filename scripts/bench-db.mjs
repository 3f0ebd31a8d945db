#!/usr/bin/env node
// npm run bench (database part): under a writer committing every 5 ms to a real MariaDB whose
// datadir and binlog live on two lab disks, one snapshot group at a time, measured three ways:
// (a) the built-in quiescer (-Apps), (b) the vendor's published shell scripts, (c) freeze only,
// interleaved round by round, with the shipped executable. Reported per way, median over
// BENCH_DB_RUNS rounds (default 7): the longest gap between two acknowledged commits (what the
// application feels) and its ratio to freeze only's, the slowest commit, the time commits spent
// stalled (over 20 ms, summed), the frozen window and, for (a), the time the lock was held.
// Needs root and mariadb-server.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mysql from 'mysql2/promise';
import {
  EXECUTABLE,
  interleaved,
  labUp,
  printStalls,
  snapshotUnderWriter,
  stallRows,
  benchEnv,
} from './bench-lib.mjs';

const CLI = join(import.meta.dirname, '../dist/cli/main.js');
const FIXTURES = join(import.meta.dirname, '../test/fixtures/vendor-mysql');
const RUNS = Number(process.env.BENCH_DB_RUNS ?? 7);
const PERIOD_MS = 5;
const STALL_MS = 20;

if (process.getuid?.() !== 0 || spawnSync('which', ['mariadbd']).status !== 0) {
  console.error(
    'bench-db: needs root and mariadb-server (apt-get install mariadb-server); skipped',
  );
  process.exit(0);
}

const must = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

const root = mkdtempSync('/tmp/asp-benchdb-');
const env = benchEnv(root);
let server;
try {
  const lab = labUp(CLI, join(root, 'lab'));
  const [data, binlog] = lab.disks.map((d) => d.mountPoint);
  const socket = join(root, 'db.sock');
  must('mariadb-install-db', [
    '--no-defaults',
    `--datadir=${data}/mysql`,
    '--user=root',
    '--auth-root-authentication-method=socket',
    '--skip-test-db',
  ]);
  must('mkdir', ['-p', `${binlog}/binlog`]);
  server = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${data}/mysql`,
      `--socket=${socket}`,
      '--user=root',
      '--skip-networking',
      `--log-bin=${binlog}/binlog/binlog`,
      '--server-id=1',
      `--log-error=${root}/db.err`,
      '--innodb-buffer-pool-size=64M',
      '--sync-binlog=1',
    ],
    { stdio: 'ignore' },
  );
  let conn;
  for (let i = 0; i < 300 && !conn; i++) {
    conn = await mysql
      .createConnection({ socketPath: socket, user: 'root' })
      .catch(() => new Promise((r) => setTimeout(r, 100)).then(() => undefined));
  }
  await conn.query('CREATE DATABASE b');
  await conn.query(
    'CREATE TABLE b.w (seq BIGINT PRIMARY KEY, ts DATETIME(6) NOT NULL) ENGINE=InnoDB',
  );

  const apps = join(root, 'apps.json');
  writeFileSync(
    apps,
    JSON.stringify({ apps: { db: { type: 'mysql', socketPath: socket, user: 'root' } } }),
    { mode: 0o600 },
  );
  const vendor = ['prescript.sh', 'postscript.sh'].map((f) => {
    const p = join(root, f);
    copyFileSync(join(FIXTURES, f), p);
    chmodSync(p, 0o700);
    return p;
  });
  const ways = {
    'built-in quiescer': { words: ['-Apps=db'], env: { APP_SNAPSHOT_APPS_CONFIG: apps } },
    'vendor scripts': {
      words: [`-PreScriptPath=${vendor[0]}`, `-PostScriptPath=${vendor[1]}`],
      env: { MYSQL_USER: 'root', MYSQL_PASSWORD: '', MYSQL_SOCKET: socket },
    },
    'freeze only': { words: [], env: {} },
  };
  // Another build's executable beside this one (BENCH_BASELINE): before/after in one run.
  if (process.env.BENCH_BASELINE)
    ways['built-in (baseline)'] = {
      ...ways['built-in quiescer'],
      agent: [process.env.BENCH_BASELINE],
    };

  let seq = 0;
  async function measure(way) {
    const m = await snapshotUnderWriter({
      insert: () => conn.query('INSERT INTO b.w (seq, ts) VALUES (?, NOW(6))', [++seq]),
      agent: way.agent ?? [EXECUTABLE],
      args: [`-Name=benchdb${seq}`, '-Engine=local', `-Pool=${lab.pool}`, ...way.words],
      env: { ...env, ...way.env },
      periodMs: PERIOD_MS,
      stallMs: STALL_MS,
    });
    return { ...m, heldMs: m.result.Apps?.[0]?.HeldMs, consistency: m.result.Consistency };
  }

  const rows = stallRows(await interleaved(ways, RUNS, measure));
  await conn.end();
  printStalls(
    `MariaDB, writer every ${PERIOD_MS} ms, ${RUNS} rounds (each way once per round), shipped executable; medians in ms`,
    rows,
    'freeze only',
  );
  const gap = (w) => rows.find((r) => r.way === w).longestGapMs;
  console.log(
    `longest gap, vendor scripts / built-in quiescer: ${(gap('vendor scripts') / gap('built-in quiescer')).toFixed(1)}x`,
  );
  if (process.env.BENCH_JSON)
    writeFileSync(`${process.env.BENCH_JSON}.db.json`, JSON.stringify(rows, null, 2));
} finally {
  if (server) {
    server.kill('SIGTERM');
    await new Promise((r) => server.once('exit', r));
  }
  spawnSync(process.execPath, [CLI, 'lab', 'down', '--root', join(root, 'lab')]);
  rmSync(root, { recursive: true, force: true });
  for (const f of spawnSync(
    'sh',
    ['-c', 'ls /tmp | grep -E "^mysql(freeze|thaw)[0-9]+\\.(log|tmp)$"'],
    { encoding: 'utf8' },
  )
    .stdout.split('\n')
    .filter(Boolean))
    rmSync(join('/tmp', f), { force: true });
}
