// `fleet run`: the agent on many instances through Cloud Assistant. Phases: start the command
// in batches (RunCommand takes at most 100 instances; we send 50), follow every instance's
// invocation with backoff until it ends, decode what it printed, retry an instance that
// answered 16 (another snapshot in progress) a bounded number of times with jitter — after
// checking that no group of ours exists there — and report one outcome per instance.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { EXIT_CODES } from '../errors/exit-codes.js';
import { readRunLog } from '../report/log-format.js';
import type { FleetCloud, InvocationResult } from './cloud.js';
import { FINAL } from './cloud.js';

export const BATCH = 50;

export interface FleetRunOptions {
  readonly cloud: FleetCloud;
  readonly instances: readonly string[];
  /** The RunShellScript content (command.ts) and the snapshot name it carries. */
  readonly content: string;
  readonly name: string;
  readonly timeoutS: number;
  /** How often an instance that exits 16 is tried again. */
  readonly retries: number;
  readonly logsDir?: string;
  readonly pollMs?: { first: number; max: number };
  readonly retryDelayMs?: number;
  /** One line per state change of an instance. */
  readonly progress: (line: string) => void;
  readonly signal: AbortSignal;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

export interface InstanceOutcome {
  readonly instanceId: string;
  /** The agent's exit code; null when it never ran or its end is unknown. */
  exitCode: number | null;
  status: string;
  errorCode: string;
  consistency: string;
  groupId: string;
  durationMs: number;
  firstError: string;
  attempts: number;
  log: string;
}

export async function runFleet(o: FleetRunOptions): Promise<InstanceOutcome[]> {
  const started = Date.now();
  const outcomes = new Map<string, InstanceOutcome>();
  let pending = [...o.instances];
  for (let attempt = 1; pending.length && !o.signal.aborted; attempt++) {
    for (let i = 0; i < pending.length && !o.signal.aborted; i += BATCH) {
      const batch = pending.slice(i, i + BATCH);
      const t0 = Date.now();
      const invokeId = await o.cloud.runCommand(
        batch,
        o.content,
        o.timeoutS,
        `app-snapshot-plugin ${o.name}`,
      );
      o.progress(`started ${batch.length} instance(s): invocation ${invokeId}`);
      for (const r of await follow(o, invokeId, batch))
        outcomes.set(r.InstanceId, outcome(r, t0, attempt));
    }
    pending = await retryable(o, outcomes, attempt, started);
    if (pending.length) await (o.sleep ?? sleep)(jitter(o, attempt));
  }
  await groupsOfUnknownEnds(o, outcomes.values(), started);
  for (const out of outcomes.values()) saveLog(o.logsDir, out);
  // Instances never started (interrupted before their batch).
  return o.instances.map(
    (id) =>
      outcomes.get(id) ?? {
        instanceId: id,
        exitCode: null,
        status: 'NotStarted',
        errorCode: 'Interrupted',
        consistency: 'None',
        groupId: '',
        durationMs: 0,
        firstError: 'not started: interrupted',
        attempts: 0,
        log: '',
      },
  );
}

/** Polls one invocation until every instance's result is final; stops it on interrupt. */
async function follow(
  o: FleetRunOptions,
  invokeId: string,
  batch: readonly string[],
): Promise<InvocationResult[]> {
  const seen = new Map<string, string>();
  let wait = o.pollMs?.first ?? 1000;
  let stopSent = false;
  for (;;) {
    if (o.signal.aborted && !stopSent) {
      stopSent = true;
      const running = batch.filter((id) => !FINAL.has(seen.get(id) ?? ''));
      if (running.length) {
        o.progress(`interrupted: StopInvocation for ${running.join(', ')}`);
        await o.cloud.stop(invokeId, running).catch(() => undefined);
      }
    }
    const results = await o.cloud.results(invokeId);
    for (const r of results) {
      if (seen.get(r.InstanceId) === r.InvocationStatus) continue;
      seen.set(r.InstanceId, r.InvocationStatus);
      o.progress(
        `${r.InstanceId} ${r.InvocationStatus}${FINAL.has(r.InvocationStatus) ? ` (exit ${r.ExitCode ?? '-'})` : ''}`,
      );
    }
    if (batch.every((id) => FINAL.has(seen.get(id) ?? ''))) return results;
    await (o.sleep ?? sleep)(wait);
    wait = Math.min(o.pollMs?.max ?? 10_000, Math.ceil(wait * 1.5));
  }
}

/**
 * Instances worth another attempt: the agent said 16 (it created nothing), the budget allows,
 * and no group of this run's name exists on the instance (a run still holding the lock might be
 * one we started; then the instance is reported, not retried).
 */
async function retryable(
  o: FleetRunOptions,
  outcomes: Map<string, InstanceOutcome>,
  attempt: number,
  started: number,
): Promise<string[]> {
  if (attempt > o.retries || o.signal.aborted) return [];
  const again: string[] = [];
  for (const out of outcomes.values()) {
    if (out.exitCode !== 16 || out.attempts !== attempt) continue;
    const groups = await o.cloud.groupsSince(out.instanceId, o.name, started);
    if (groups.length) {
      out.firstError += ` (not retried: group ${groups.join(', ')} of this name exists there)`;
      continue;
    }
    o.progress(`${out.instanceId} exit 16: retrying (attempt ${attempt + 1} of ${o.retries + 1})`);
    again.push(out.instanceId);
  }
  return again;
}

/**
 * A row whose run timed out, was stopped or whose end is unknown cannot say whether its group
 * call reached the cloud: look for a group of this run's name on that instance, so that the
 * operator never has to guess (it is untagged: nothing vouched for it).
 */
async function groupsOfUnknownEnds(
  o: FleetRunOptions,
  outcomes: Iterable<InstanceOutcome>,
  started: number,
): Promise<void> {
  for (const out of outcomes) {
    if (out.groupId || out.exitCode !== null) continue;
    const groups = await o.cloud.groupsSince(out.instanceId, o.name, started).catch(() => []);
    if (!groups.length) continue;
    out.groupId = groups.join(',');
    out.firstError =
      `${out.firstError} (group ${out.groupId} of this run exists there, untagged: crash-consistent at best)`.trim();
  }
}

function jitter(o: FleetRunOptions, attempt: number): number {
  const base = o.retryDelayMs ?? 5000;
  return Math.round(base * attempt * (0.5 + (o.random ?? Math.random)()));
}

/** What an instance's result says, decoded (the agent's vendor-format log). */
export function outcome(r: InvocationResult, startedMs: number, attempt: number): InstanceOutcome {
  const log = Buffer.from(r.Output ?? '', 'base64').toString('utf8');
  // Read with the agent's own line formats (report/log-format.ts), never a copy of them.
  const read = readRunLog(log);
  const group = read.groupId ?? '';
  const consistency = read.consistency;
  const error =
    read.error ??
    (r.ExitCode !== 0 ? log.trim().split('\n').filter(Boolean).at(-1) : undefined) ??
    (r.ErrorInfo || '');
  return {
    instanceId: r.InstanceId,
    exitCode:
      r.InvocationStatus === 'Success' || r.InvocationStatus === 'Failed' ? r.ExitCode : null,
    status: r.InvocationStatus,
    errorCode: r.ErrorCode ?? '',
    consistency,
    groupId: group,
    // The instance's own run (the service's times); else since the batch started.
    durationMs:
      r.StartTime && r.FinishedTime
        ? Date.parse(r.FinishedTime) - Date.parse(r.StartTime)
        : Date.now() - startedMs,
    firstError: error || (r.ErrorCode ? `${r.ErrorCode}: ${r.ErrorInfo ?? ''}` : ''),
    attempts: attempt,
    log,
  };
}

/** The exit code's name in the agent's table (EXIT_CODES), or the plugin manager's meaning. */
export function exitName(code: number | null): string {
  if (code === null) return '-';
  const known = EXIT_CODES.find((e) => e.code === code)?.name;
  if (known) return known;
  if (code === 247) return 'PluginTimeout';
  if (code >= 232 && code <= 246) return 'PluginManagerError';
  return 'Unknown';
}

function saveLog(dir: string | undefined, out: InstanceOutcome): void {
  if (!dir) return;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, `${out.instanceId}.log`);
  writeFileSync(file, out.log, { mode: 0o600 });
  chmodSync(file, 0o600);
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
