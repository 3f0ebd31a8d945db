#!/usr/bin/env node
// npm run bench: the frozen window against its physical floor, for 1, 4 and 16 lab
// filesystems. Interleaved in one run on the same lab: the shipped executable (Bun), the .cjs
// bundle under this node, and the floor (scripts/bench-floor.mjs: one process, raw ioctls,
// the same freeze, clone and thaw). Per form: the window (first FIFREEZE to last FITHAW) as a
// median and range and as a ratio to the floor's median, exec -> first freeze, and the
// window's parts from the agent's own marks (freeze wave, hand-over to the group call, the
// call, hand-over to the thaw, thaw wave); the order of the forms rotates each round. Needs root (loop devices) and `npm run package`
// (the npm script runs it). BENCH_RUNS sets the runs per size (default 9), BENCH_SIZES the
// sizes, BENCH_JSON a file for the samples, BENCH_BASELINE another build's executable to run
// in the same rounds (before/after in one run; an older build lacks some marks: shown as -).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hostBun } from '../packaging/executable.mjs';
import { median } from './bench-lib.mjs';

const ROOT = join(import.meta.dirname, '..');
const CLI = join(ROOT, 'dist/cli/main.js');
const PKG = join(ROOT, 'dist/packages');
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const SIZES = (process.env.BENCH_SIZES ?? '1,4,16').split(',').map(Number);
const FORMS = {
  'executable (Bun)': [join(PKG, 'app-snapshot-plugin-linux-x64')],
  '.cjs (node)': [process.execPath, join(PKG, 'app-snapshot-plugin.cjs')],
  ...(process.env.BENCH_BASELINE ? { 'baseline executable': [process.env.BENCH_BASELINE] } : {}),
};

if (process.getuid?.() !== 0) {
  console.error('bench: needs root (it builds a lab of loop disks)');
  process.exit(1);
}
for (const [name, exe] of Object.entries(FORMS))
  if (!existsSync(exe.at(-1))) {
    console.error(`bench: ${name} missing (${exe.at(-1)}): run npm run package first`);
    process.exit(1);
  }

function cli(args) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: exit ${r.status}\n${r.stderr}`);
  return r.stdout;
}

const ns = (a, b) => (a && b ? Number(BigInt(b) - BigInt(a)) / 1e6 : NaN);

/** One agent run: the window, exec -> first freeze and the window's parts, from its marks. */
function agentRun(exe, args, env) {
  return new Promise((resolve, reject) => {
    const spawnedNs = process.hrtime.bigint();
    const child = spawn(exe[0], [...exe.slice(1), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('close', (code) => {
      const r = JSON.parse(out);
      if (code !== 0) return reject(new Error(`run failed: ${r.Error}`));
      const m = r.Marks;
      resolve({
        with: r.FreezeWith,
        windowMs: r.Timings.freezeWindow,
        toFreezeMs: ns(spawnedNs, m.firstFreezeNs),
        toAskMs: ns(spawnedNs, m.freezeAskedNs),
        // Start-up, step by step: the process (runtime, script, entry), validate, the lock,
        // until presync (watchdog start, scripts, quiesce, the engine's warm-up), presync.
        toRunMs: ns(spawnedNs, m.runStartNs),
        validateMs: ns(m.runStartNs, m.validatedNs),
        lockMs: ns(m.validatedNs, m.lockedNs),
        toPresyncMs: ns(m.lockedNs, m.presyncStartNs),
        presyncMs: ns(m.presyncStartNs, m.freezeAskedNs),
        // > 0: the run waited this long for its watchdog to start before it could freeze.
        watchdogLateMs: Math.max(0, ns(m.freezeAskedNs, m.watchdogReadyNs)),
        freezeMs: ns(m.firstFreezeNs, m.lastFreezeNs),
        msgMs: ns(m.lastFreezeNs, m.frozenSeenNs),
        toCallMs: ns(m.frozenSeenNs, m.groupCallNs),
        callMs: ns(m.groupCallNs, m.groupAnsweredNs),
        toThawMs: ns(m.groupAnsweredNs, m.thawStartNs),
        thawMs: ns(m.thawStartNs, m.thawEndNs),
      });
    });
  });
}

/** The floor on the same lab: one Bun process, raw syscalls (scripts/bench-floor.mjs). */
function floorRun(lab) {
  const job = {
    mounts: lab.disks.map((d) => d.mountPoint),
    images: lab.disks.map((d) => d.image),
    cloneDir: lab.pool,
  };
  const r = spawnSync(
    hostBun(),
    [join(import.meta.dirname, 'bench-floor.mjs'), JSON.stringify(job)],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`floor: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A lab of `disks` filesystems in a private root, removed after `fn`. */
async function withLab(disks, fs, fn) {
  const root = mkdtempSync('/tmp/asp-bench-');
  const env = {
    // On tmpfs, as the default /run/app-snapshot-plugin is.
    APP_SNAPSHOT_STATE_DIR: mkdtempSync('/dev/shm/asp-bench-state-'),
    APP_SNAPSHOT_LOG_DIR: join(root, 'logs'),
    // Not this machine's run history and metrics.
    APP_SNAPSHOT_DATA_DIR: join(root, 'data'),
    APP_SNAPSHOT_METRICS_DIR: join(root, 'no-node-exporter'),
  };
  const args = ['--root', join(root, 'lab'), '--disks', String(disks), '--size', '320M'];
  try {
    const lab = JSON.parse(cli(['lab', 'up', ...args, '--fs', fs, '--quota', '256', '--json']));
    return await fn(lab, env);
  } finally {
    spawnSync(process.execPath, [CLI, 'lab', 'down', '--root', join(root, 'lab')]);
    rmSync(root, { recursive: true, force: true });
    rmSync(env.APP_SNAPSHOT_STATE_DIR, { recursive: true, force: true });
  }
}

/** Samples per form for one size; each round runs every form and the floor, in turn. */
async function measure(n) {
  return withLab(n, 'ext4,xfs', async (lab, env) => {
    const samples = { floor: [], ...Object.fromEntries(Object.keys(FORMS).map((k) => [k, []])) };
    // Before every run, agent's or floor's: 1 MiB of dirty data on every filesystem, as a live
    // system would have (each syncs it before its first FIFREEZE).
    const dirty = (tag) => {
      for (const d of lab.disks)
        writeFileSync(join(d.mountPoint, 'dirty'), Buffer.alloc(1 << 20, tag));
    };
    for (let i = 0; i < RUNS; i++) {
      const order = [...Object.entries(FORMS), ['floor']];
      for (let k = 0; k < i % order.length; k++) order.push(order.shift()); // nobody always first
      for (const [name, exe] of order) {
        dirty(i);
        const args = [`-Name=b${n}x${i}`, '-Engine=local', `-Pool=${lab.pool}`, '--output', 'json'];
        samples[name].push(exe ? await agentRun(exe, args, env) : floorRun(lab));
      }
    }
    return samples;
  });
}

const f1 = (x) => (Number.isNaN(x) ? '-' : x.toFixed(1));
const range = (xs) => `${f1(Math.min(...xs))}-${f1(Math.max(...xs))}`;

function report(all) {
  console.log(
    `node ${process.version}; ${RUNS} rounds per size, interleaved (each form and the floor once per round, the order rotating); medians in ms, ranges min-max`,
  );
  const head = [
    'fs',
    'form',
    'freeze by',
    'window',
    'range',
    'x floor',
    'exec->1st freeze',
    'exec->ready',
    'wd late',
    'freeze wave',
    'msg',
    '->call',
    'group call',
    '->thaw',
    'thaw wave',
  ];
  const rows = [];
  for (const [n, s] of Object.entries(all)) {
    const floor = median(s.floor.map((x) => x.windowMs));
    const fl = (k) => f1(median(s.floor.map((x) => x[k])));
    rows.push([n, 'floor (raw ioctls)', 'ioctl', f1(floor), range(s.floor.map((x) => x.windowMs))]);
    rows.at(-1).push('1.0', '-', '-', '-', fl('freezeMs'), '-', '-', fl('cloneMs'), '-');
    rows.at(-1).push(fl('thawMs'));
    for (const name of Object.keys(FORMS)) {
      const xs = s[name];
      const med = (k) => f1(median(xs.map((x) => x[k])));
      const window = median(xs.map((x) => x.windowMs));
      rows.push([n, name, [...new Set(xs.map((x) => x.with))].join('/'), f1(window)]);
      rows.at(-1).push(range(xs.map((x) => x.windowMs)), f1(window / floor), med('toFreezeMs'));
      rows.at(-1).push(med('toAskMs'), med('watchdogLateMs'));
      rows.at(-1).push(med('freezeMs'), med('msgMs'), med('toCallMs'), med('callMs'));
      rows.at(-1).push(med('toThawMs'));
      rows.at(-1).push(med('thawMs'));
    }
  }
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  console.log([line(head), line(w.map((x) => '-'.repeat(x))), ...rows.map(line)].join('\n'));
  console.log(
    '(exec->ready: until the run asked to freeze; wd late: how long it then waited for its watchdog. Floor parts: freeze wave, FICLONE of every image as its "group call", thaw wave. msg: the watchdog\'s "frozen" message until the agent has read it; ->call: from then to the group call; ->thaw: from its answer to the first FITHAW)',
  );
}

/** Where exec -> first freeze goes, per form: the agent's start-up marks. */
function reportStartup(all) {
  const head = ['fs', 'form', 'exec->run', 'validate', 'lock', '->presync', 'presync', 'wd late'];
  head.push('exec->1st freeze');
  const rows = [];
  for (const [n, s] of Object.entries(all))
    for (const name of Object.keys(FORMS)) {
      const med = (k) => f1(median(s[name].map((x) => x[k])));
      rows.push([n, name, med('toRunMs'), med('validateMs'), med('lockMs'), med('toPresyncMs')]);
      rows.at(-1).push(med('presyncMs'), med('watchdogLateMs'), med('toFreezeMs'));
    }
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  console.log([line(head), line(w.map((x) => '-'.repeat(x))), ...rows.map(line)].join('\n'));
  console.log(
    '(exec->run: the process until the run began (runtime, script load, entry, parameters); ->presync: the watchdog started, scripts, quiesce, the engine warmed up; then presync (sync -f) until the run asked to freeze)',
  );
}

const all = {};
for (const n of SIZES) all[n] = await measure(n);
report(all);
reportStartup(all);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(all, null, 2));

// The shipped forms side by side (start-up, memory, size): npm run bench:runtimes.
