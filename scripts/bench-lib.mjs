// What the database benches share: one snapshot run under a writer that commits every
// `periodMs`, measured from the writer's side: the longest gap between two consecutive
// acknowledged commits (what the application feels: it includes the writer's own period), the
// longest single commit, and the time spent in commits slower than `stallMs`.
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** The shipped executable, the agent the database benches run (`npm run package` first). */
export const EXECUTABLE = join(
  import.meta.dirname,
  '../dist/packages/app-snapshot-plugin-linux-x64',
);

/**
 * Runs the agent (`agent ...args --output json`; agent is an argv) while `insert()` commits
 * every periodMs, 300 ms of writes before and after; throws if the run failed.
 */
export async function snapshotUnderWriter({
  insert,
  agent,
  args,
  env,
  periodMs = 5,
  stallMs = 20,
}) {
  const latencies = [];
  const acks = [];
  let running = true;
  const writer = (async () => {
    while (running) {
      const t0 = performance.now();
      await insert();
      acks.push(performance.now());
      latencies.push(acks.at(-1) - t0);
      await new Promise((r) => setTimeout(r, periodMs));
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  // Asynchronously: the writer must keep committing while the agent runs.
  const stdout = await new Promise((resolve) => {
    const child = spawn(agent[0], [...agent.slice(1), ...args, '--output', 'json'], {
      env,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('close', () => resolve(out));
  });
  await new Promise((res) => setTimeout(res, 300));
  running = false;
  await writer;
  const result = JSON.parse(stdout);
  if (result.ExitCode !== 0) throw new Error(`run failed: ${result.Error}`);
  return {
    longestGapMs: Math.max(...acks.slice(1).map((t, i) => t - acks[i])),
    longestStallMs: Math.max(...latencies),
    stalledMs: latencies.filter((l) => l > stallMs).reduce((a, b) => a + b, 0),
    result,
  };
}

/** The two-disk lab both database benches use (ext4 for the data, xfs for the log/WAL). */
/** The agent's environment for a bench under `root`: its own state, logs, history, no metrics. */
export function benchEnv(root) {
  return {
    ...process.env,
    APP_SNAPSHOT_STATE_DIR: join(root, 'state'),
    APP_SNAPSHOT_LOG_DIR: join(root, 'logs'),
    // Not this machine's run history and metrics.
    APP_SNAPSHOT_DATA_DIR: join(root, 'data'),
    APP_SNAPSHOT_METRICS_DIR: join(root, 'no-node-exporter'),
  };
}

export function labUp(cli, labRoot) {
  const r = spawnSync(
    process.execPath,
    [
      cli,
      'lab',
      'up',
      '--root',
      labRoot,
      '--disks',
      '2',
      '--size',
      '512M',
      '--fs',
      'ext4,xfs',
      '--quota',
      '256',
      '--json',
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`lab up: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/**
 * RUNS rounds; each round measures every way once, in an order that rotates, so a slow moment
 * of the machine hits every way alike. Resolves the samples per way.
 */
export async function interleaved(ways, runs, measure) {
  const names = Object.keys(ways);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < runs; i++)
    for (let k = 0; k < names.length; k++) {
      const name = names[(i + k) % names.length];
      samples[name].push(await measure(ways[name]));
    }
  return samples;
}

/** One row per way: medians and ranges of what snapshotUnderWriter measured. */
export function stallRows(samples) {
  return Object.entries(samples).map(([way, xs]) => {
    const of = (k) => xs.map((s) => s[k]).filter((v) => v !== undefined);
    const held = of('heldMs');
    return {
      way,
      consistency: xs[0].result.Consistency,
      longestGapMs: median(of('longestGapMs')),
      gapRange: [Math.min(...of('longestGapMs')), Math.max(...of('longestGapMs'))],
      longestStallMs: median(of('longestStallMs')),
      stalledMs: median(of('stalledMs')),
      windowMs: median(xs.map((s) => s.result.Timings.freezeWindow ?? 0)),
      heldMs: held.length ? median(held) : undefined,
    };
  });
}

/** The stall table, with each way's longest gap as a ratio to `baseline`'s. */
export function printStalls(title, rows, baseline) {
  const base = rows.find((r) => r.way === baseline)?.longestGapMs;
  const f = (x) => (x === undefined ? '-' : x.toFixed(1));
  const head = ['way', 'result', 'longest gap', 'range', `x ${baseline}`, 'longest commit'];
  head.push('stalled >20 ms', 'frozen window', 'lock held');
  const body = rows.map((r) => [
    r.way,
    r.consistency,
    f(r.longestGapMs),
    `${f(r.gapRange[0])}-${f(r.gapRange[1])}`,
    base ? (r.longestGapMs / base).toFixed(2) : '-',
    f(r.longestStallMs),
    f(r.stalledMs),
    f(r.windowMs),
    f(r.heldMs),
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(w[i])).join(' | ')} |`;
  console.log(`\n${title}`);
  console.log([line(head), line(w.map((x) => '-'.repeat(x))), ...body.map(line)].join('\n'));
}
