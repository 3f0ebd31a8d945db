import { AgentError } from '../errors/errors.js';
import type { RunLog } from '../report/logger.js';
import type { ScriptCheck } from '../scripts/check.js';
import type { ScriptRun } from '../system/runner.js';
import type { ScriptHost } from './deps.js';
import type { RunResult } from './result.js';

const LABEL = { pre: 'Prescript', post: 'PostScript' } as const;

/** Runs one checked script, logs its output, records it, throws 9/10 on failure. */
export async function runScriptPhase(
  host: ScriptHost,
  log: RunLog,
  result: RunResult,
  role: 'pre' | 'post',
  check: Extract<ScriptCheck, { ok: true }>,
  timeoutMs: number,
  abort?: AbortSignal,
): Promise<ScriptRun> {
  log.info(`Start to Execute ${LABEL[role]} ${check.path}`);
  const run = await host.run(role, check, timeoutMs, abort);
  if (run.output) log.output(run.output);
  result.Scripts.push({
    Role: role,
    Path: check.path,
    ExitCode: run.exitCode ?? null,
    TimedOut: run.timedOut,
  });
  const kind = role === 'pre' ? 'PreScriptFailed' : 'PostScriptFailed';
  if (run.spawnError) {
    throw new AgentError(kind, `${LABEL[role]} ${check.path} could not start: ${run.spawnError}`);
  }
  if (run.aborted) {
    throw new AgentError(
      kind,
      `${LABEL[role]} ${check.path} was stopped: the agent was interrupted`,
    );
  }
  if (run.timedOut) {
    throw new AgentError(
      kind,
      `${LABEL[role]} ${check.path} timed out after ${Math.round(timeoutMs / 1000)}s; its process group was killed`,
    );
  }
  if (run.exitCode !== 0) {
    const how = run.signal ? `was killed by ${run.signal}` : `exited with ${run.exitCode}`;
    throw new AgentError(kind, `${LABEL[role]} ${check.path} ${how}`);
  }
  log.info(`Execute ${LABEL[role]} Successfully`);
  return run;
}
