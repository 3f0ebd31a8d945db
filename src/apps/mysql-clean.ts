// MariaDB's clean mode: let purge catch up (it writes redo of its own, without a commit), then
// checkpoint, so a server started on the snapshot replays no redo. Purge cannot get past a
// transaction that may still read old row versions (a long report, mysqldump
// --single-transaction), and never quite catches up while commits go on: waiting for it to
// finish is bounded, and what is left is said, not failed. A run must not hang, nor lose its
// idle holder to the server's dead-man timeout, because someone left a transaction open.
// InnoDB's own threads write redo too, under BACKUP STAGE BLOCK_COMMIT (persistent statistics
// recalculated seconds after a busy writer stops: measured here, 5 s into an idle lock): so
// "no redo" is not assumed but read, from the log's end before the freeze and after the thaw.
import type { SqlConn } from './sql-conn.js';

const DRAIN = 'SET GLOBAL innodb_max_purge_lag_wait = 0';
const CHECKPOINT = 'SET GLOBAL innodb_log_checkpoint_now = ON';

/**
 * Runs `sql` on `run`; after `boundS` seconds `killer` (another session) interrupts it with
 * KILL QUERY. Resolves whether it finished by itself; errors other than the interruption throw.
 */
async function bounded(run: SqlConn, killer: SqlConn, sql: string, boundS: number) {
  let kill: Promise<unknown> | undefined;
  const timer = setTimeout(() => {
    kill = killer.query(`KILL QUERY ${run.threadId}`).catch(() => undefined);
  }, boundS * 1000);
  try {
    await run.query(sql);
    return kill === undefined;
  } catch (e) {
    if (kill !== undefined) return false;
    throw e;
  } finally {
    clearTimeout(timer);
    // The next statement on `run` must not meet a KILL still on its way.
    await kill;
  }
}

/**
 * Purge (for at most `boundS` seconds), then a checkpoint, on `run`. Resolves whether purge
 * caught up: if not, a restore of what follows may replay some redo (still consistent).
 */
export async function purgeAndCheckpoint(
  run: SqlConn,
  killer: SqlConn,
  boundS: number,
): Promise<boolean> {
  const caughtUp = await bounded(run, killer, DRAIN, boundS);
  await run.query(CHECKPOINT);
  return caughtUp;
}

const LSN =
  "SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_lsn_current', 'Innodb_lsn_last_checkpoint')";

/** Where InnoDB's redo log ends, and its last checkpoint. */
export interface LogMark {
  readonly current: bigint;
  readonly checkpoint: bigint;
}

/** The log's end and last checkpoint; undefined when the server does not report them. */
export async function logMark(conn: SqlConn): Promise<LogMark | undefined> {
  const rows = await conn.query(LSN);
  const get = (name: string) => {
    const v = rows.find((r) => String(r.Variable_name).toLowerCase() === name)?.Value;
    return v !== undefined && /^\d+$/.test(String(v)) ? BigInt(String(v)) : undefined;
  };
  const current = get('innodb_lsn_current');
  const checkpoint = get('innodb_lsn_last_checkpoint');
  return current !== undefined && checkpoint !== undefined ? { current, checkpoint } : undefined;
}

/**
 * The checkpoint's own record (FILE_CHECKPOINT: 16 bytes since MariaDB 10.8, 12 before):
 * a log that ends within it past its checkpoint holds nothing a restore would replay.
 */
const CHECKPOINT_RECORD = 16n;

/**
 * Whether a restore of a snapshot taken between `before` (just after the checkpoint) and
 * `after` (after the thaw) replays no redo: the log ended at its checkpoint then and had not
 * grown since. Anything else, unknown included, is not claimed.
 */
export function noRedoSince(before: LogMark | undefined, after: LogMark | undefined): boolean {
  if (!before || !after) return false;
  return (
    before.current - before.checkpoint <= CHECKPOINT_RECORD &&
    after.current === before.current &&
    after.checkpoint === before.checkpoint
  );
}

/** The Clean fact once the thaw is over: redo written since the checkpoint is said. */
export function cleanAfterThaw(fact: string, noRedo: boolean): string {
  return noRedo ? fact : `${fact}, redo after the checkpoint`;
}

/** The fact recorded under the lock (a tag), and the note for the log's mode line. */
export function cleanOutcome(caughtUp: boolean, boundS: number): { fact: string; note: string } {
  return caughtUp
    ? { fact: 'purged, checkpointed', note: 'clean: purged and checkpointed under the lock' }
    : {
        fact: 'purge behind, checkpointed',
        note: `clean: purge did not catch up within ${boundS} s (a transaction still open?), checkpointed anyway; a restore may replay some redo`,
      };
}
