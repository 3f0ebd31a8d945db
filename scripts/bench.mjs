#!/usr/bin/env node
// npm run bench: for 1, 4 and 16 lab filesystems, the freeze window (first FIFREEZE to last
// FITHAW), the time from exec to the first freeze, and the whole run; medians of several runs.
// Needs root (loop devices). BENCH_RUNS sets the runs per size (default 7), BENCH_SIZES the sizes.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const CLI = join(import.meta.dirname, '../dist/cli/main.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const SIZES = (process.env.BENCH_SIZES ?? '1,4,16').split(',').map(Number);

if (process.getuid?.() !== 0) {
  console.error('bench: needs root (it builds a lab of loop disks)');
  process.exit(1);
}

function cli(args, env = {}) {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, ...env },
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

function timedRun(args, env) {
  return new Promise((resolve, reject) => {
    const spawnedNs = process.hrtime.bigint();
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('close', (code) => {
      const totalMs = Number(process.hrtime.bigint() - spawnedNs) / 1e6;
      const r = JSON.parse(out);
      if (code !== 0) return reject(new Error(`run failed: ${r.Error}`));
      resolve({
        windowMs: r.Timings.freezeWindow,
        toFreezeMs: Number(BigInt(r.Marks.firstFreezeNs) - spawnedNs) / 1e6,
        totalMs,
      });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** A lab of `disks` filesystems in a private root, removed after `fn`. */
async function withLab(disks, fs, fn) {
  const root = mkdtempSync('/tmp/asp-bench-');
  const env = {
    // On tmpfs, as the default /run/app-snapshot-plugin is.
    APP_SNAPSHOT_STATE_DIR: mkdtempSync('/dev/shm/asp-bench-state-'),
    APP_SNAPSHOT_LOG_DIR: join(root, 'logs'),
  };
  const args = [
    '--root',
    join(root, 'lab'),
    '--disks',
    String(disks),
    '--size',
    '320M',
    '--fs',
    fs,
    '--quota',
    '256',
    '--json',
  ];
  try {
    return await fn(JSON.parse(cli(['lab', 'up', ...args])), env);
  } finally {
    spawnSync(process.execPath, [CLI, 'lab', 'down', '--root', join(root, 'lab')]);
    rmSync(root, { recursive: true, force: true });
    rmSync(env.APP_SNAPSHOT_STATE_DIR, { recursive: true, force: true });
  }
}

const rows = [];
for (const n of SIZES) {
  await withLab(n, 'ext4,xfs', async (lab, env) => {
    const samples = [];
    for (let i = 0; i < RUNS; i++) {
      // Some dirty data on every filesystem, as a live system would have.
      for (const d of lab.disks)
        writeFileSync(join(d.mountPoint, `dirty-${i}`), Buffer.alloc(1 << 20, i));
      samples.push(
        await timedRun(
          [`-Name=bench${n}x${i}`, '-Engine=local', `-Pool=${lab.pool}`, '--output', 'json'],
          env,
        ),
      );
    }
    rows.push({
      filesystems: n,
      runs: RUNS,
      freezeWindowMs: median(samples.map((s) => s.windowMs)),
      execToFirstFreezeMs: median(samples.map((s) => s.toFreezeMs)),
      totalMs: median(samples.map((s) => s.totalMs)),
    });
  });
}

const fmt = (x) => x.toFixed(1).padStart(10);
console.log(
  `node ${process.version}, ${RUNS} runs per size, medians in ms (1 MiB dirty data per filesystem)`,
);
console.log('filesystems | freeze window | exec -> first freeze | total run');
console.log('----------- | ------------- | -------------------- | ---------');
for (const r of rows) {
  console.log(
    `${String(r.filesystems).padStart(11)} | ${fmt(r.freezeWindowMs)}    | ${fmt(r.execToFirstFreezeMs)}           | ${fmt(r.totalMs)}`,
  );
}
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(rows, null, 2));

// The shipped forms side by side (start-up, exec -> first freeze, memory): npm run bench:runtimes.
