#!/usr/bin/env node
// npm run bench (CI fixture part): a seeded MariaDB put back between test suites, two ways, on
// this machine (the guest VM suite runs the same in a container under emulation; this host
// cannot run containers): (a) stop the server, `groups rollback --remount`, start it, until it
// answers; (b) a dump restore with the server running (DROP DATABASE, then `mariadb < dump`).
// The server's datadir is on a lab disk (XFS); each size is seeded by doubling a table, dumped
// and snapshotted once; then rounds, interleaved: dirty the data, reset (a), dirty, reset (b),
// each reset checked against the seed's row count and CHECKSUM TABLE. Medians over
// BENCH_FIXTURE_RUNS rounds (default 3), per size (BENCH_FIXTURE_ROWS, powers of two, default
// 65536,524288). Needs root and mariadb-server.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { EXECUTABLE, benchEnv } from './bench-lib.mjs';

const CLI = join(import.meta.dirname, '../dist/cli/main.js');
const RUNS = Number(process.env.BENCH_FIXTURE_RUNS ?? 3);
const SIZES = (process.env.BENCH_FIXTURE_ROWS ?? '65536,524288').split(',').map(Number);

if (process.getuid?.() !== 0 || spawnSync('which', ['mariadbd']).status !== 0) {
  console.error('bench-fixture: needs root and mariadb-server; skipped');
  process.exit(0);
}

const must = (cmd, args, opts = {}) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 26, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
};
const ms = (t0) => Number(process.hrtime.bigint() - t0) / 1e6;
const now = () => process.hrtime.bigint();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const root = mkdtempSync('/tmp/asp-benchfix-');
const env = benchEnv(root);
// The shipped executable (npm run package), as a CI job would install it.
const agent = (...args) => must(EXECUTABLE, args, { env });
const socket = join(root, 'db.sock');
const sql = (text, input) =>
  must('mariadb', ['--no-defaults', '-S', socket, '-u', 'root', '-N', '-B', '-e', text], {
    ...(input ? { input } : {}),
  });
let server;
let datadir;

function start() {
  server = spawn(
    'mariadbd',
    [
      '--no-defaults',
      `--datadir=${datadir}`,
      `--socket=${socket}`,
      '--user=root',
      '--skip-networking',
      `--log-error=${root}/db.err`,
      `--innodb-buffer-pool-size=${process.env.BENCH_FIXTURE_POOL ?? '128M'}`,
    ],
    { stdio: 'ignore' },
  );
  for (let i = 0; i < 600; i++) {
    if (
      spawnSync('mariadb', ['--no-defaults', '-S', socket, '-u', 'root', '-e', 'SELECT 1'])
        .status === 0
    )
      return;
    spawnSync('sleep', ['0.05']);
  }
  throw new Error('mariadbd did not answer within 30 s');
}
async function stop() {
  const s = server;
  server = undefined;
  s.kill('SIGTERM');
  await new Promise((r) => (s.exitCode !== null ? r() : s.once('exit', r)));
}
const sum = () =>
  sql('SELECT COUNT(*) FROM app.items; CHECKSUM TABLE app.items').replace(/\s+/g, ' ').trim();
const dirty = () =>
  sql(
    "DELETE FROM app.items WHERE id % 3 = 0; UPDATE app.items SET name = 'dirty' WHERE id % 5 = 0",
  );

try {
  const lab = JSON.parse(
    agent(
      'lab',
      'up',
      '--root',
      join(root, 'lab'),
      '--disks',
      '1',
      '--size',
      '4G',
      '--fs',
      'xfs',
      '--json',
    ),
  );
  const mnt = lab.disks[0].mountPoint;
  const rows = [];
  for (const size of SIZES) {
    datadir = join(mnt, `mysql-${size}`);
    must('mariadb-install-db', [
      '--no-defaults',
      `--datadir=${datadir}`,
      '--user=root',
      '--auth-root-authentication-method=socket',
      '--skip-test-db',
    ]);
    start();
    sql(
      "CREATE DATABASE app; CREATE TABLE app.items (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64), payload VARCHAR(200)) ENGINE=InnoDB; INSERT INTO app.items (name, payload) VALUES ('seed', REPEAT('x', 200))",
    );
    for (let n = 1; n < size; n *= 2)
      sql(
        "INSERT INTO app.items (name, payload) SELECT CONCAT('seed', id), REPEAT(CHAR(65 + id % 26), 200) FROM app.items",
      );
    const seed = sum();
    const dump = join(root, `seed-${size}.sql`);
    const fd = openSync(dump, 'w');
    try {
      must(
        'mariadb-dump',
        ['--no-defaults', '-S', socket, '-u', 'root', '--single-transaction', 'app'],
        { stdio: ['ignore', fd, 'pipe'] },
      );
    } finally {
      closeSync(fd);
    }
    const group = JSON.parse(
      agent(`-Name=fixture-${size}`, '-Engine=local', `-Pool=${lab.pool}`, '--output', 'json'),
    ).SnapshotGroupId;
    const parts = { stop: [], rollback: [], start: [], total: [], dump: [] };
    for (let round = 0; round < RUNS; round++) {
      dirty();
      let t = now();
      await stop();
      parts.stop.push(ms(t));
      let t1 = now();
      agent('groups', 'rollback', group, '--remount', '--pool', lab.pool);
      parts.rollback.push(ms(t1));
      t1 = now();
      start();
      parts.start.push(ms(t1));
      parts.total.push(ms(t));
      if (sum() !== seed) throw new Error(`size ${size}: the rollback did not give the seed back`);
      dirty();
      t = now();
      sql('DROP DATABASE app; CREATE DATABASE app');
      must('sh', ['-c', `mariadb --no-defaults -S ${socket} -u root app < ${dump}`]);
      parts.dump.push(ms(t));
      if (sum() !== seed)
        throw new Error(`size ${size}: the dump restore did not give the seed back`);
    }
    await stop();
    rows.push({
      size,
      mb: (statSync(dump).size / 2 ** 20).toFixed(0),
      ...Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, median(v)])),
    });
  }
  console.log(
    `\nCI fixture reset, MariaDB (not in a container), datadir on an XFS lab disk, ${RUNS} rounds, medians in ms:`,
  );
  console.log(
    '| rows | dump MB | stop | rollback --remount | start (answers) | reset by rollback | dump restore | dump / rollback |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows)
    console.log(
      `| ${r.size} | ${r.mb} | ${r.stop.toFixed(0)} | ${r.rollback.toFixed(0)} | ${r.start.toFixed(0)} | ${r.total.toFixed(0)} | ${r.dump.toFixed(0)} | ${(r.dump / r.total).toFixed(1)}x |`,
    );
} finally {
  if (server) await stop().catch(() => undefined);
  spawnSync(process.execPath, [CLI, 'lab', 'down', '--root', join(root, 'lab')], { env });
  // Never through a mount the lab down left behind.
  spawnSync('rm', ['-rf', '--one-file-system', root]);
}
