// MariaDB's clean mode: let purge catch up (it writes redo of its own, without a commit), then
// checkpoint, so a server started on the snapshot replays no redo. Purge cannot get past a
// transaction that may still read old row versions (a long report, mysqldump
// --single-transaction), and never quite catches up while commits go on: waiting for it to
// finish is bounded, and what is left is said, not failed. A run must not hang, nor lose its
// idle holder to the server's dead-man timeout, because someone left a transaction open.
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

/** The fact recorded under the lock (a tag), and the note for the log's mode line. */
export function cleanOutcome(caughtUp: boolean, boundS: number): { fact: string; note: string } {
  return caughtUp
    ? { fact: 'purged, checkpointed', note: 'clean: purged and checkpointed under the lock' }
    : {
        fact: 'purge behind, checkpointed',
        note: `clean: purge did not catch up within ${boundS} s (a transaction still open?), checkpointed anyway; a restore may replay some redo`,
      };
}
