import { describeError, stackOf } from '../errors/exit-code-for.js';
import { goDuration } from '../report/log-format.js';
import type { Deps } from './deps.js';
import type { RunResult } from './result.js';

/** The vendor's closing lines: costs, then the group id (or the failure) last. */
export function summarize(deps: Deps, result: RunResult, errors: unknown[]): void {
  const { log } = deps;
  const t = result.Timings;
  const d = (ms: number | undefined) => goDuration(ms ?? 0);
  for (const e of errors.slice(1)) log.error(`also: ${describeError(e)}`);
  log.info(`Prescript cost=${d(t.preScript)}, Postscript cost=${d(t.postScript)}`);
  log.info(
    `Prepare Freeze=${d(t.freeze)}, Thaw cost=${d(t.thaw)}, Snapshot Creation=${d((t.snapshot ?? 0) + (t.wait ?? 0))}, Tag Resources=${d(t.tag)}`,
  );
  if (result.ExitCode === 0) {
    log.info('Finish whole Processes of Snapshot successfully', {
      snapshotgroup: result.SnapshotGroupId,
    });
  } else {
    const primary = errors[0] ?? errors[1];
    result.Error = describeError(primary);
    const stack = stackOf(primary);
    if (stack) log.error(`unexpected error, please report it with this log:\n${stack}`);
    const group = result.SnapshotGroupId
      ? ` (snapshot group ${result.SnapshotGroupId} was created)`
      : '';
    // The group id travels in the last line whenever a group exists, as on success.
    log.error(
      `Failed with exit code ${result.ExitCode}: ${result.Error}${group}`,
      result.SnapshotGroupId ? { snapshotgroup: result.SnapshotGroupId } : {},
    );
  }
}
