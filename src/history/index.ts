// After every run, successful or not: one line in the history, then the metrics rewritten from
// it. Neither may change the run's exit code; a failure is a warning on stderr.
import type { RunResult } from '../plugin/result.js';
import { writeMetrics } from './metrics.js';
import { recordOf, type RunOrigin } from './record.js';
import { appendRun, readRuns } from './store.js';

export { recordOf, parseRecord, type RunRecord, type RunOrigin } from './record.js';
export { readRuns, appendRun, historyFile, HISTORY_RUNS } from './store.js';
export { renderMetrics, writeMetrics, DEFAULT_METRICS_DIR, METRICS_FILE } from './metrics.js';

export interface HistoryPaths {
  /** Persistent: the history file. */
  readonly dataDir: string;
  /** node_exporter's textfile collector (nothing written when it does not exist). */
  readonly metricsDir: string;
}

/** Records the run; returns what could not be done, as warnings. */
export async function recordRun(
  paths: HistoryPaths,
  result: RunResult,
  origin: RunOrigin,
): Promise<string[]> {
  const warnings: string[] = [];
  try {
    await appendRun(paths.dataDir, recordOf(result, origin));
  } catch (e) {
    warnings.push((e as Error).message);
  }
  try {
    await writeMetrics(paths.metricsDir, readRuns(paths.dataDir));
  } catch (e) {
    warnings.push((e as Error).message);
  }
  return warnings;
}
