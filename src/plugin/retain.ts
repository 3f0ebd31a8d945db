import { describeError } from '../errors/exit-code-for.js';
import { AgentError } from '../errors/errors.js';
import type { GroupInfo } from '../engines/types.js';
import type { Deps } from './deps.js';

/** When the group's snapshots expire: `days` after the group was made (ISO, UTC). */
export function expiryOf(group: Pick<GroupInfo, 'createdAt'>, days: number): string {
  const made = Date.parse(group.createdAt);
  return new Date((Number.isNaN(made) ? Date.now() : made) + days * 86_400_000).toISOString();
}

/**
 * -RetentionDays: every snapshot of the group is deleted by the engine `days` after its
 * creation, even if this agent never runs again. Resolves the expiry; any failure is
 * RetentionFailed (exit 17): the snapshots are then kept until deleted, and the run says so.
 */
export async function retain(deps: Deps, group: GroupInfo, days: number): Promise<string> {
  const expires = expiryOf(group, days);
  deps.log.info(`Keep the snapshots ${days} day(s): they expire at ${expires}`);
  try {
    await deps.engine.setRetention(
      group.snapshots.map((s) => s.id),
      days,
    );
  } catch (e) {
    // Named after the parameter whatever the engine said: the operator set -RetentionDays.
    throw new AgentError(
      'RetentionFailed',
      `setting -RetentionDays=${days} failed: ${describeError(e)}`,
      { cause: e },
    );
  }
  return expires;
}
