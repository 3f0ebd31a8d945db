// The bounded run history in the data directory (persistent: /run would forget the night's
// runs at the first reboot). Appended by every run, successful or not, after its log; read by
// `status` and by the metrics writer. Concurrent runs append whole lines (appendBounded).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendBounded } from '../system/bounded-write.js';
import { parseRecord, type RunRecord } from './record.js';

/** How many runs `status` can show and the metrics look back over. */
export const HISTORY_RUNS = 200;
export const HISTORY_WRITE_TIMEOUT_MS = 5000;

export const historyFile = (dataDir: string) => join(dataDir, 'history.jsonl');

export async function appendRun(
  dataDir: string,
  record: RunRecord,
  keep = HISTORY_RUNS,
  timeoutMs = HISTORY_WRITE_TIMEOUT_MS,
): Promise<void> {
  const r = await appendBounded(
    historyFile(dataDir),
    `${JSON.stringify(record)}\n`,
    timeoutMs,
    keep,
  );
  if (!r.ok) throw new Error(`could not add the run to ${historyFile(dataDir)}: ${r.error}`);
}

/** The last `keep` runs, oldest first; lines that are not records are skipped. */
export function readRuns(dataDir: string, keep = HISTORY_RUNS): RunRecord[] {
  const file = historyFile(dataDir);
  const lines = [`${file}.1`, file].flatMap((f) => {
    try {
      return readFileSync(f, 'utf8').split('\n');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
  });
  const runs = lines.map(parseRecord).filter((r): r is RunRecord => r !== undefined);
  return runs.slice(-keep);
}
