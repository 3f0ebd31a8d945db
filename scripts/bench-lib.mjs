// What the database benches share: one snapshot run under a writer that commits every
// `periodMs`, measured from the writer's side (the longest commit, and the time spent in
// commits slower than `stallMs`).
import { spawn, spawnSync } from 'node:child_process';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * Runs the agent (`node cli ...args --output json`) while `insert()` commits every periodMs,
 * 300 ms of writes before and after; throws if the run failed.
 */
export async function snapshotUnderWriter({ insert, cli, args, env, periodMs = 5, stallMs = 20 }) {
  const latencies = [];
  let running = true;
  const writer = (async () => {
    while (running) {
      const t0 = performance.now();
      await insert();
      latencies.push(performance.now() - t0);
      await new Promise((r) => setTimeout(r, periodMs));
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  // Asynchronously: the writer must keep committing while the agent runs.
  const stdout = await new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args, '--output', 'json'], {
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
    longestStallMs: Math.max(...latencies),
    stalledMs: latencies.filter((l) => l > stallMs).reduce((a, b) => a + b, 0),
    result,
  };
}

/** The two-disk lab both database benches use (ext4 for the data, xfs for the log/WAL). */
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
