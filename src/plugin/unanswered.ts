// A group call whose answer never came (GroupCallUnanswered: a timeout, a reset connection, a
// 5xx, the freeze deadline) may still have made a group: the service had the request. After
// the thaw the run finds out (findGroup, bounded), and says what is true, on every engine:
// the group's id (untagged: its point in time cannot be shown to be inside the freeze), or
// that none came of it. DeleteUnclaimedGroup=true deletes such a group instead of keeping it.
import type { CreateGroupRequest, GroupInfo } from '../engines/types.js';
import type { Params } from '../params/index.js';
import { AgentError } from '../errors/errors.js';
import type { Deps } from './deps.js';
import { sleepUnlessInterrupted } from './wait.js';

/**
 * How long a group may take to be listed after its request (polls back off to 2 s), at most
 * GroupTimeoutInSeconds: the run's own word for how long a group may take.
 */
export const LOOK_FOR_MS = 30_000;
/** How long a just-made group may refuse deletion (still being created) before we give up. */
const DELETE_FOR_MS = 60_000;

export interface Unanswered {
  readonly request: CreateGroupRequest;
  /** When the request was first sent (the instance's clock). */
  readonly sentAt: Date;
  readonly error: AgentError;
  /** Whether filesystems were frozen for it. */
  readonly frozen: boolean;
  /** Why the freeze cannot be shown to have held across the call, if it cannot. */
  readonly freezeEndedEarly: string | undefined;
}

/** The group that came of the call (kept), and the error that decides the exit code. */
export async function settleUnanswered(
  deps: Deps,
  params: Params,
  u: Unanswered,
  warn: (message: string) => void,
): Promise<{ group: GroupInfo | undefined; error: AgentError }> {
  const { name, clientToken } = u.request;
  deps.log.warn(
    `CreateSnapshotGroup got no answer (${u.error.message}): looking for a group it made (Name=${name}, ClientToken=${clientToken})`,
  );
  const bound = Math.min(LOOK_FOR_MS, params.groupTimeoutInSeconds * 1000);
  const look = await lookFor(deps, u, bound);
  const found = look.group;
  if (!found) {
    const none = look.failure
      ? `whether a group came of it is unknown (looking failed: ${look.failure}); look for Name=${name} in the console`
      : `no group came of it within ${bound / 1000} s`;
    return u.freezeEndedEarly
      ? {
          group: undefined,
          error: new AgentError('FreezeFailed', `${u.freezeEndedEarly}; ${none}`),
        }
      : {
          group: undefined,
          error: new AgentError('CreateGroupFailed', `${u.error.message}; ${none}`),
        };
  }
  warn(
    `the unanswered call made snapshot group ${found.id} all the same: crash-consistent at best, it gets no consistency tag`,
  );
  const why =
    u.freezeEndedEarly ??
    'the group call got no answer, so its point in time cannot be shown to be inside the freeze';
  const kind = u.frozen ? 'FreezeFailed' : 'CreateGroupFailed';
  if (!params.deleteUnclaimedGroup)
    return {
      group: found,
      error: new AgentError(
        kind,
        `${why}; the group ${found.id} is kept, without a consistency tag`,
      ),
    };
  const deleted = await deleteIt(deps, found.id);
  return {
    group: deleted ? undefined : found,
    error: new AgentError(
      kind,
      deleted
        ? `${why}; the group ${found.id} it made was deleted (DeleteUnclaimedGroup=true)`
        : `${why}; the group ${found.id} it made could not be deleted (see the log): kept, without a consistency tag`,
    ),
  };
}

/** findGroup until the group shows or `boundMs` passes; lookup failures are retried. */
async function lookFor(
  deps: Deps,
  u: Unanswered,
  boundMs: number,
): Promise<{ group?: GroupInfo; failure?: string }> {
  const start = performance.now();
  let failure: string | undefined;
  for (let delay = 250; ; delay = Math.min(delay * 2, 2000)) {
    try {
      const g = await deps.engine.findGroup(u.request, u.sentAt);
      if (g) return { group: g };
      failure = undefined;
    } catch (e) {
      failure = (e as Error).message;
    }
    // Stryker disable next-line EqualityOperator: the tries fall at x.25/x.75 s, never on a whole-second bound
    if (performance.now() - start + delay > boundMs || deps.interrupt.aborted)
      return failure ? { failure } : {};
    await sleepUnlessInterrupted(deps.interrupt, delay);
  }
}

/** Deletes the group, retrying while the service refuses it (still being created). */
async function deleteIt(deps: Deps, id: string): Promise<boolean> {
  const start = performance.now();
  for (let delay = 1000; ; delay = Math.min(delay * 2, 5000)) {
    try {
      await deps.engine.deleteGroup(id);
      deps.log.warn(`deleted snapshot group ${id} (DeleteUnclaimedGroup=true)`);
      return true;
    } catch (e) {
      // Stryker disable next-line EqualityOperator: the tries fall at 7 s + 5 s·k, never + 5 s = 60 s
      if (performance.now() - start + delay > DELETE_FOR_MS || deps.interrupt.aborted) {
        deps.log.warn(`could not delete snapshot group ${id}: ${(e as Error).message}`);
        return false;
      }
    }
    await sleepUnlessInterrupted(deps.interrupt, delay);
  }
}
