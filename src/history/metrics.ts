// The runs as Prometheus metrics, for node_exporter's textfile collector: one file, rewritten
// whole (temporary file, rename) after every run, holding the last run of every -Name in the
// history. Gauges only: a history that forgets old runs cannot back a counter.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeBounded } from '../system/bounded-write.js';
import type { RunRecord } from './record.js';

export const DEFAULT_METRICS_DIR = '/var/lib/node_exporter/textfile_collector';
/** node_exporter reads only *.prom; the temporary file (.prom.tmp) is never read half-written. */
export const METRICS_FILE = 'app_snapshot_plugin.prom';

interface Family {
  readonly name: string;
  readonly help: string;
  /** The samples of one name's last run (and last success): label sets beyond `name`, values. */
  readonly samples: (last: RunRecord, lastOk: RunRecord | undefined) => [string, number][];
}

const seconds = (iso: string) => Date.parse(iso) / 1000;
/** Milliseconds (kept to 0.1) as seconds, without binary noise (0.2603, not 0.26030000000000003). */
const fromMs = (ms: number) => Number((ms / 1000).toFixed(4));
const one = (v: number | undefined): [string, number][] => (v === undefined ? [] : [['', v]]);
const CONSISTENCIES = ['AppConsistent', 'FsConsistent', 'None'] as const;

const FAMILIES: readonly Family[] = [
  {
    name: 'app_snapshot_last_run_timestamp_seconds',
    help: 'When the last run of this -Name ended (Unix time), whatever its outcome.',
    samples: (last) => one(seconds(last.Time)),
  },
  {
    name: 'app_snapshot_last_success_timestamp_seconds',
    help: 'When the last run of this -Name that exited 0 ended (absent: none in the history).',
    samples: (_last, ok) => one(ok && seconds(ok.Time)),
  },
  {
    name: 'app_snapshot_last_exit_code',
    help: "The last run's exit code (0 success; the table in docs/040_exit-codes-and-output.md).",
    samples: (last) => one(last.ExitCode),
  },
  {
    name: 'app_snapshot_last_consistency',
    help: 'What the last run tagged its snapshots: 1 for the level reached, 0 for the others.',
    samples: (last) =>
      CONSISTENCIES.map((c) => [`consistency="${c}"`, last.Consistency === c ? 1 : 0]),
  },
  {
    name: 'app_snapshot_last_freeze_window_seconds',
    help: "The last run's frozen window, first freeze to last thaw (absent: nothing was frozen).",
    samples: (last) =>
      one(last.FreezeWindowMs === undefined ? undefined : fromMs(last.FreezeWindowMs)),
  },
  {
    name: 'app_snapshot_last_database_lock_seconds',
    help: 'The longest a built-in quiescer held its database lock in the last run (absent: none ran).',
    samples: (last) => one(last.LockHeldMs === undefined ? undefined : fromMs(last.LockHeldMs)),
  },
  {
    name: 'app_snapshot_last_duration_seconds',
    help: "The last run's total duration.",
    samples: (last) => one(fromMs(last.DurationMs)),
  },
  {
    name: 'app_snapshot_last_snapshots',
    help: 'How many snapshots the last run made (one per disk of its group).',
    samples: (last) => one(last.Snapshots),
  },
];

/** A label value in the text format: backslash, double quote and newline escaped. */
export function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** The text format (version 0.0.4) of the last run of every -Name in `runs` (oldest first). */
export function renderMetrics(runs: readonly RunRecord[]): string {
  const last = new Map<string, RunRecord>();
  const lastOk = new Map<string, RunRecord>();
  for (const r of runs) {
    last.set(r.Name, r);
    if (r.ExitCode === 0) lastOk.set(r.Name, r);
  }
  const names = [...last.keys()].sort();
  const out: string[] = [];
  for (const f of FAMILIES) {
    const lines = names.flatMap((n) =>
      f.samples(last.get(n)!, lastOk.get(n)).map(([labels, v]) => {
        const all = [`name="${labelValue(n)}"`, ...(labels ? [labels] : [])].join(',');
        return `${f.name}{${all}} ${v}`;
      }),
    );
    if (!lines.length) continue;
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} gauge`, ...lines);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

export type MetricsOutcome = 'written' | 'no-directory';

/**
 * Rewrites the metrics file in `dir`. A directory that does not exist means no node_exporter
 * here: nothing is written (and nothing created). Bounded like the log write.
 */
export async function writeMetrics(
  dir: string,
  runs: readonly RunRecord[],
  timeoutMs = 5000,
): Promise<MetricsOutcome> {
  if (!existsSync(dir)) return 'no-directory';
  const r = await writeBounded(
    join(dir, METRICS_FILE),
    renderMetrics(runs),
    timeoutMs,
    false,
    true,
  );
  if (!r.ok) throw new Error(`could not write ${join(dir, METRICS_FILE)}: ${r.error}`);
  return 'written';
}
