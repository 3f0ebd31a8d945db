import { createQuiescers } from '../../apps/index.js';
import type { ParticipantEngine } from '../../cluster/participant.js';
import type { Params } from '../../params/index.js';
import { RunLog } from '../../report/logger.js';
import { invocationResult, writeRunLog, type OutputMode } from '../../report/output.js';
import { runSnapshot } from '../../plugin/run.js';
import { trapInterrupts } from '../../plugin/interrupt.js';
import { systemDeps } from '../../plugin/system-deps.js';
import { emptyResult, type RunResult } from '../../plugin/result.js';
import { recordRun } from '../../history/index.js';
import { exitCodeFor, describeError } from '../../errors/exit-code-for.js';
import type { CliContext } from '../context.js';
import { assembleEngine } from '../engine.js';
import { describeParams } from '../param-options.js';
import { validateParams } from '../../params/index.js';
import type { Argv } from 'yargs';

/** The default command: take one snapshot group. */
export async function snapshotCommand(
  params: Params,
  output: OutputMode,
  ctx: Pick<CliContext, 'io' | 'config' | 'hooks' | 'watchdog'>,
  schedule?: string,
): Promise<number> {
  const { io, config, watchdog } = ctx;
  const paths = config.paths;
  // text: the log is stdout; json: the log goes to stderr, stdout is the JSON;
  // invocation: the log is only captured, as the control plane would.
  const log = new RunLog(output === 'text' ? io.out : output === 'json' ? io.err : () => undefined);
  let result;
  let participant: ParticipantEngine | undefined;
  const trap = trapInterrupts((sig) =>
    log.warn(`received ${sig}: stopping at the next step; thaw and post-script still run`),
  );
  try {
    const assembled = assembleEngine(params, config, ctx.hooks);
    participant = assembled.participant;
    const engine = assembled.engine;
    const deps = systemDeps(
      log,
      engine,
      config,
      trap.signal,
      createQuiescers(params.apps, config.appsConfigPath),
      watchdog,
    );
    // A person at a terminal sees the upload progress live; logs get a line every 10 s.
    const tty = output === 'text' && process.stderr.isTTY;
    result = await runSnapshot(
      tty ? { ...deps, progress: (l) => io.err(`\r${l}\x1b[K`) } : deps,
      params,
    );
    if (tty && result.Timings.wait) io.err('\r\x1b[K');
  } catch (e) {
    // Only wiring can fail here (engine construction); the run itself never throws.
    result = emptyResult();
    result.ExitCode = exitCodeFor(e);
    result.Error = describeError(e);
    log.error(`Failed with exit code ${result.ExitCode}: ${result.Error}`);
  } finally {
    trap.release();
  }
  participant?.finish(result);
  if (output === 'json') io.out(`${JSON.stringify(result, null, 2)}\n`);
  if (output === 'invocation')
    io.out(`${JSON.stringify(invocationResult(result.ExitCode, log.text()))}\n`);
  // Last, and bounded: the result is out whatever happens to the log directory.
  try {
    await writeRunLog(paths.logDir, log.text());
  } catch (e) {
    io.err(`warning: could not write the log file in ${paths.logDir}: ${(e as Error).message}\n`);
  }
  await record(ctx, result, params.name, schedule);
  return result.ExitCode;
}

/** The run into the history and the metrics (status, monitoring): after everything else. */
async function record(
  ctx: Pick<CliContext, 'io' | 'config'>,
  result: RunResult,
  name: string,
  schedule: string | undefined,
): Promise<void> {
  const origin = { name, endedAt: new Date(), ...(schedule ? { schedule } : {}) };
  for (const w of await recordRun(ctx.config.history, result, origin))
    ctx.io.err(`warning: ${w}\n`);
}

/**
 * Parameters a run cannot start with are still a run that failed (exit 2): a schedule whose
 * parameters went bad must show in the status and the metrics, not only in a journal.
 */
export async function validateOrRecord(
  ctx: Pick<CliContext, 'io' | 'config' | 'raw'>,
  schedule?: string,
): Promise<Params> {
  try {
    return validateParams(ctx.raw);
  } catch (e) {
    const name = [...ctx.raw].reverse().find((r) => r.spec.name === 'Name')?.value ?? '';
    await recordFailure(ctx, e, name, schedule);
    throw e;
  }
}

/** A run that failed before it could start, into the history and the metrics. */
export async function recordFailure(
  ctx: Pick<CliContext, 'io' | 'config'>,
  e: unknown,
  name: string,
  schedule?: string,
): Promise<void> {
  const result = emptyResult();
  result.ExitCode = exitCodeFor(e);
  result.Error = describeError(e);
  await record(ctx, result, name, schedule);
}

export function registerSnapshot(y: Argv, ctx: CliContext): Argv {
  return y.command(
    '$0',
    'Take a snapshot group (validate, pre-script, freeze, group, thaw, post-script, tag)',
    (y) => describeParams(y),
    async (a) =>
      ctx.setCode(await snapshotCommand(await validateOrRecord(ctx), a.output as OutputMode, ctx)),
  );
}
