import { AgentError } from './errors.js';
import { EXIT } from './exit-codes.js';

/**
 * The one mapping from failures to the exit code.
 * Precedence: a thaw failure anywhere wins (the machine may still be frozen, the most urgent
 * thing to report); otherwise the first (primary) failure decides; unknown errors are 255.
 */
export function exitCodeFor(primary: unknown, secondaries: readonly unknown[] = []): number {
  const all = [primary, ...secondaries];
  if (all.some((e) => e instanceof AgentError && e.kind === 'ThawFailed')) return EXIT.ThawFailed;
  if (primary === undefined) return secondaries.length ? exitCodeFor(secondaries[0]) : 0;
  return primary instanceof AgentError ? primary.exitCode : EXIT.Unknown;
}

/** One line for the result and the log (stack traces go to the log only: see stackOf). */
export function describeError(e: unknown): string {
  if (e instanceof AgentError) return e.message;
  if (e instanceof Error) return `unexpected error: ${e.name}: ${e.message}`;
  return `unexpected error: ${String(e)}`;
}

/** Where an unexpected error came from, for the log a bug report needs; none for ours. */
export function stackOf(e: unknown): string | undefined {
  if (e instanceof AgentError || !(e instanceof Error) || !e.stack) return undefined;
  return e.stack.split('\n').slice(1, 8).join('\n');
}
