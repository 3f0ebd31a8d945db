#!/usr/bin/env node
// npm run bench:runtimes (after npm run package): the ways to run the agent, side by side in one
// run on one lab filesystem — the unbundled dist/, the .cjs bundle under this machine's node,
// the Node single executable the project shipped before (built here for the comparison), and
// the shipped Bun executable. Per form: size, glibc floor, --version, exec -> first freeze, the
// freeze window, and peak memory (max RSS of the agent process). Medians; needs root.
// BENCH_RUNS sets the runs per form (default 9).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compileNodeSea } from '../packaging/executable.mjs';
import { labUp, median } from './bench-lib.mjs';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/cli/main.js');
const PKG = join(ROOT, 'dist/packages');
const RUNS = Number(process.env.BENCH_RUNS ?? 9);

if (process.getuid?.() !== 0) {
  console.error('bench:runtimes: needs root (it builds a lab of loop disks)');
  process.exit(1);
}
if (!existsSync(join(PKG, 'app-snapshot-plugin-linux-x64'))) {
  console.error('bench:runtimes: run npm run package first');
  process.exit(1);
}

/** The highest GLIBC_ and GLIBCXX_ symbol versions a file needs (readelf): "2.28/3.4.26". */
function glibcFloor(file) {
  const out =
    spawnSync('readelf', ['-V', '--wide', file], { encoding: 'utf8', maxBuffer: 1 << 28 }).stdout ??
    '';
  const highest = (prefix) => {
    const v = [...out.matchAll(new RegExp(`Name: ${prefix}_([0-9.]+)`, 'g'))].map((m) => m[1]);
    const key = (x) =>
      x
        .split('.')
        .map((n) => n.padStart(4, '0'))
        .join('.');
    return v.sort((a, b) => key(a).localeCompare(key(b))).at(-1) ?? '-';
  };
  return `${highest('GLIBC')}/${highest('GLIBCXX')}`;
}

/**
 * One snapshot with `exe`: exec -> first freeze and the window, from the run's own marks, and
 * the agent's peak RSS (VmHWM, read from /proc while it is still there: polled every 5 ms).
 */
function timedRun(exe, args, env) {
  return new Promise((resolve, reject) => {
    const spawnedNs = process.hrtime.bigint();
    const child = spawn(exe[0], [...exe.slice(1), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    let hwmKb = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) hwmKb = Math.max(hwmKb, Number(m[1]));
      } catch {
        // gone
      }
    }, 5);
    child.stdout.on('data', (c) => (out += c));
    child.on('close', (code) => {
      clearInterval(poll);
      const r = JSON.parse(out);
      if (code !== 0) return reject(new Error(`run failed: ${r.Error}`));
      resolve({
        toFreezeMs: Number(BigInt(r.Marks.firstFreezeNs) - spawnedNs) / 1e6,
        windowMs: r.Timings.freezeWindow,
        rssMb: hwmKb / 1024,
      });
    });
  });
}

const work = mkdtempSync('/tmp/asp-bench-rt-');
const labRoot = join(work, 'lab');
const env = {
  APP_SNAPSHOT_STATE_DIR: mkdtempSync('/dev/shm/asp-bench-state-'),
  APP_SNAPSHOT_LOG_DIR: join(work, 'logs'),
  // Not this machine's run history and metrics.
  APP_SNAPSHOT_DATA_DIR: join(work, 'data'),
  APP_SNAPSHOT_METRICS_DIR: join(work, 'no-node-exporter'),
};
try {
  const sea = compileNodeSea(
    join(PKG, 'app-snapshot-plugin.cjs'),
    join(work, 'node-sea'),
    work,
    ROOT,
  );
  const forms = {
    'node dist/ (unbundled)': { exe: [process.execPath, CLI], file: process.execPath, size: 0 },
    'node + .cjs bundle': {
      exe: [process.execPath, join(PKG, 'app-snapshot-plugin.cjs')],
      file: process.execPath,
      size: statSync(join(PKG, 'app-snapshot-plugin.cjs')).size,
    },
    'Node SEA (before)': { exe: [sea], file: sea },
    'Bun executable (shipped)': {
      exe: [join(PKG, 'app-snapshot-plugin-linux-x64')],
      file: join(PKG, 'app-snapshot-plugin-linux-x64'),
    },
  };
  const lab = labUp(CLI, labRoot);
  const rows = Object.fromEntries(Object.keys(forms).map((k) => [k, []]));
  const versions = Object.fromEntries(Object.keys(forms).map((k) => [k, []]));
  // Interleaved, so that a slow moment of the machine hits every form alike.
  for (let i = 0; i < RUNS; i++) {
    for (const [name, f] of Object.entries(forms)) {
      const t0 = performance.now();
      spawnSync(f.exe[0], [...f.exe.slice(1), '--version']);
      versions[name].push(performance.now() - t0);
      rows[name].push(
        await timedRun(
          f.exe,
          [`-Name=rt${i}`, '-Engine=local', `-Pool=${lab.pool}`, '--output', 'json'],
          env,
        ),
      );
    }
  }
  const fmt = (x, w = 9) => x.toFixed(1).padStart(w);
  console.log(`node ${process.version}; ${RUNS} runs per form, interleaved; medians`);
  console.log(
    'form                     |   size MiB | glibc/GLIBCXX | --version ms | exec -> first freeze ms | freeze window ms | peak RSS MiB',
  );
  console.log(
    '------------------------ | ---------- | ------------- | ------------ | ----------------------- | ---------------- | ------------',
  );
  for (const [name, f] of Object.entries(forms)) {
    const s = rows[name];
    const bytes = f.size ?? statSync(f.exe[0]).size;
    const size = bytes ? fmt(bytes / 2 ** 20, 10) : '-'.padStart(10); // unbundled: not one file
    console.log(
      `${name.padEnd(24)} | ${size} | ${glibcFloor(f.file).padStart(13)} | ${fmt(median(versions[name]), 12)} | ${fmt(median(s.map((x) => x.toFreezeMs)), 23)} | ${fmt(median(s.map((x) => x.windowMs)), 16)} | ${fmt(median(s.map((x) => x.rssMb)), 12)}`,
    );
  }
} finally {
  spawnSync(process.execPath, [CLI, 'lab', 'down', '--root', labRoot]);
  rmSync(work, { recursive: true, force: true });
  rmSync(env.APP_SNAPSHOT_STATE_DIR, { recursive: true, force: true });
}
