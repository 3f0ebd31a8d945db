import { describeError } from '../errors/exit-code-for.js';
import { AgentError } from '../errors/errors.js';
import { tookMessage } from '../report/log-format.js';
import type { Consistency } from './consistency.js';
import type { Deps } from './deps.js';

/** What a run tags: these snapshots with these tags (consistency.ts decides both). */
export interface Tagging {
  readonly ids: readonly string[];
  readonly tags: Record<string, string>;
}

/** Tags the snapshots with their claim; any failure is TagFailed (exit 8). */
export async function tag(deps: Deps, t: Tagging, c: Exclude<Consistency, 'None'>): Promise<void> {
  deps.log.info(`Tag snapshots with ${c}`);
  try {
    if (t.ids.length) await deps.engine.tagSnapshots(t.ids, t.tags);
  } catch (e) {
    if (e instanceof AgentError && e.kind === 'TagFailed') throw e;
    throw new AgentError('TagFailed', `tagging snapshots failed: ${describeError(e)}`, {
      cause: e,
    });
  }
  deps.log.info(tookMessage(c));
}
