import { randomUUID } from 'node:crypto';
import { GroupCallUnanswered, type CreateGroupRequest, type GroupInfo } from '../engines/types.js';
import { Deadline, monoNs } from '../system/clock.js';
import type { Freezer, ThawOutcome } from '../freeze/types.js';
import type { Params } from '../params/index.js';
import { AgentError } from '../errors/errors.js';
import { goDuration, groupCallMessage } from '../report/log-format.js';
import type { Deps } from './deps.js';
import { stopIfInterrupted } from './interrupt.js';
import type { Phase, RunResult } from './result.js';
import { settleUnanswered } from './unanswered.js';
import { freezeHeldUntil, THAWED_BY } from './consistency.js';
import { CREATED_BY } from '../retention/mark.js';
import type { RunPlan } from './validate.js';

export type Timed = <T>(phase: Phase, fn: () => Promise<T>) => Promise<T>;

/** A freezer whose watchdog is starting (or started): see startFreezer. */
export interface PreparedFreezer {
  readonly freezer: Freezer;
  readonly ready: Promise<void>;
  /** Monotonic ns when the watchdog said it was ready (for the start-up's marks). */
  readyNs?: string;
}

/**
 * Starts the watchdog as soon as the plan is known, so its start-up overlaps the pre-script
 * instead of lengthening the path to the first freeze. The caller disposes it on every path.
 */
export function startFreezer(deps: Deps, plan: RunPlan): PreparedFreezer | undefined {
  if (!plan.freeze?.freeze.length) return undefined;
  const freezer = deps.newFreezer(plan.fsfreeze!); // validation found it: there is a freeze
  const prepared: PreparedFreezer = { freezer, ready: freezer.prepare() };
  prepared.ready.then(
    () => (prepared.readyNs = monoNs()),
    () => undefined, // awaited (and reported) in the window
  );
  return prepared;
}

export interface WindowHooks {
  /** Runs as soon as the filesystems are thawed, before anything else: the apps' release. */
  readonly afterThaw?: () => Promise<unknown>;
  /**
   * The dirty data was synced just before the applications' locks: syncing again now would
   * only lengthen the time they are held (FIFREEZE syncs what little was written since).
   */
  readonly presynced?: boolean;
}

export interface WindowOutcome {
  readonly group: GroupInfo | undefined;
  /** Freeze held from before the point in time until after it (or there was nothing to freeze). */
  readonly freezeHeld: boolean;
  /** performance.now() when the group call was sent: the vendor's TotalCost counts from it. */
  readonly calledAt: number | undefined;
  readonly error: unknown;
  readonly thawError: unknown;
}

/**
 * The frozen window: freeze -> create the group (returns when the point in time is fixed)
 * -> thaw. The thaw runs on every path; while frozen the log is held in memory.
 */
export async function snapshotWindow(
  deps: Deps,
  plan: RunPlan,
  params: Params,
  result: RunResult,
  timed: Timed,
  watchdog: PreparedFreezer | undefined,
  around: WindowHooks = {},
): Promise<WindowOutcome> {
  const { afterThaw = async () => undefined } = around;
  const w = { deps, plan, params, result, timed, presynced: around.presynced ?? false };
  let group: GroupInfo | undefined;
  let error: unknown;
  let frozen: { deadline: Deadline } | undefined;
  let pointInTimeNs: bigint | undefined;
  let thaw: { outcome?: ThawOutcome; error?: unknown } = {};
  let sent: { request: CreateGroupRequest; at: Date; calledAt: number } | undefined;
  try {
    stopIfInterrupted(deps.interrupt, 'the freeze');
    // Made before the freeze: nothing that can wait runs inside the window.
    const request = groupRequest(plan, params);
    const at = new Date();
    frozen = await freeze(w, watchdog);
    stopIfInterrupted(deps.interrupt, 'the snapshot group was created');
    sent = {
      request: frozen ? { ...request, deadline: frozen.deadline } : request,
      at,
      calledAt: performance.now(),
    };
    if (frozen) result.Marks.groupCallNs = monoNs();
    group = await createGroup(w, sent.request);
    pointInTimeNs = BigInt(monoNs());
    if (frozen) result.Marks.groupAnsweredNs = pointInTimeNs.toString();
  } catch (e) {
    error = e;
  } finally {
    // Every ms an application lock outlives the thaw is a ms its writers wait for nothing.
    if (watchdog) thaw = await thawAll(w, watchdog.freezer, afterThaw);
    else await afterThaw();
  }
  if (group) error ??= await afterWindow(deps);
  const held: ReturnType<typeof freezeHeldUntil> =
    frozen && thaw.outcome ? freezeHeldUntil(thaw.outcome, pointInTimeNs) : { ok: true };
  if (error instanceof GroupCallUnanswered && sent)
    ({ group, error } = await settle(w, sent, error, Boolean(frozen), held));
  // (Without an error the group call answered: there is a group.)
  if (!held.ok && !error)
    error = new AgentError(
      'FreezeFailed',
      `${held.why}; TimeoutInSeconds=${params.timeoutInSeconds}; the group ${group!.id} is kept, without a consistency tag`,
    );
  const freezeHeld = !thaw.error && held.ok && !error;
  return { group, freezeHeld, calledAt: sent?.calledAt, error, thawError: thaw.error };
}

/** What the engine left for after the window (the local engine's durable group record). */
async function afterWindow(deps: Deps): Promise<unknown> {
  try {
    await deps.engine.afterWindow?.();
    return undefined;
  } catch (e) {
    return e;
  }
}

/** A group call that went unanswered: after the thaw, never inside it (it may take seconds). */
function settle(
  w: WindowCtx,
  sent: { request: CreateGroupRequest; at: Date },
  error: GroupCallUnanswered,
  frozen: boolean,
  held: ReturnType<typeof freezeHeldUntil>,
): ReturnType<typeof settleUnanswered> {
  const { deps, params, result } = w;
  return settleUnanswered(
    deps,
    params,
    {
      request: sent.request,
      sentAt: sent.at,
      error,
      frozen,
      freezeEndedEarly: held.ok ? undefined : held.why,
    },
    (m) => {
      result.Warnings.push(m);
      deps.log.warn(m);
    },
  );
}

interface WindowCtx {
  readonly presynced: boolean;
  readonly deps: Deps;
  readonly plan: RunPlan;
  readonly params: Params;
  readonly result: RunResult;
  readonly timed: Timed;
}

/** Freezes the plan's filesystems; from here on the log is held in memory. */
async function freeze(
  w: WindowCtx,
  watchdog: PreparedFreezer | undefined,
): Promise<{ deadline: Deadline } | undefined> {
  const { deps, plan, params, result, timed } = w;
  if (!watchdog) {
    if (params.enableFsFreeze)
      deps.log.info('No mounted filesystem on the group disks needs freezing');
    return undefined;
  }
  // A watchdog is started only for a plan with something to freeze (startFreezer).
  const mounts = plan.freeze!.freeze.map((f) => f.mountPoint);
  const waves = plan.freeze!.waves;
  // Dirty data written now, outside the window, so that FIFREEZE has little left to do.
  result.Marks.presyncStartNs = monoNs();
  if (!w.presynced) await deps.presync?.(mounts);
  return timed('freeze', async () => {
    result.Marks.freezeAskedNs = monoNs();
    await watchdog.ready; // the watchdog exists before the first freeze
    result.Marks.watchdogReadyNs = watchdog.readyNs;
    deps.log.info(
      `Freeze filesystems (${mounts.length}): ${waves.map((w) => w.join(', ')).join(' | ')}`,
    );
    deps.log.hold();
    // One deadline for everything while frozen: the freeze, the group call, its retries.
    const deadline = new Deadline(params.timeoutInSeconds * 1000);
    const out = await watchdog.freezer.freeze(waves, deadline);
    result.Frozen = out.frozen;
    result.FreezeWith = out.freezeWith;
    result.Marks.firstFreezeNs = out.firstFreezeNs;
    result.Marks.lastFreezeNs = out.lastFreezeNs;
    result.Marks.frozenSeenNs = out.seenNs;
    return { deadline };
  });
}

/** What the run asks the engine for; the ClientToken makes every retry the same group. */
function groupRequest(plan: RunPlan, params: Params): CreateGroupRequest {
  return {
    name: params.name,
    description: params.description,
    diskIds: plan.disks.map((d) => d.id),
    instantAccess: params.instantAccess,
    instantAccessRetentionDays: params.instantAccessRetentionDays,
    clientToken: randomUUID(),
    tags: { [CREATED_BY.key]: CREATED_BY.value },
  };
}

/** The group call: it returns once the point in time is fixed, inside the deadline. */
async function createGroup(w: WindowCtx, request: CreateGroupRequest): Promise<GroupInfo> {
  const { deps, plan, timed } = w;
  deps.log.info(`Create snapshot group for disks: ${plan.disks.map((d) => d.id).join(', ')}`);
  const t0 = performance.now();
  const group = await timed('snapshot', () => deps.engine.createGroup(request));
  // The vendor's line: the call's RequestId (the ClientToken where no service answers, as on
  // the local engine) and its cost; the wait's costs follow in "Finish SnapshotGroup".
  deps.log.info(
    groupCallMessage(
      group.requestId ?? request.clientToken,
      group.id,
      goDuration(performance.now() - t0),
    ),
  );
  return group;
}

/** Thaws (on every path), releases the held log, and records the window's length. */
async function thawAll(
  w: WindowCtx,
  freezer: Freezer,
  afterThaw: () => Promise<unknown>,
): Promise<{ outcome?: ThawOutcome; error?: unknown }> {
  const { deps, result, timed } = w;
  let outcome: ThawOutcome;
  try {
    outcome = await timed('thaw', () => freezer.thaw());
  } catch (error) {
    await afterThaw();
    deps.log.release();
    return { error };
  }
  result.Marks.thawStartNs = outcome.thawStartNs;
  result.Marks.thawEndNs = outcome.thawEndNs;
  if (result.Marks.firstFreezeNs) {
    result.Timings.freezeWindow =
      Number(BigInt(outcome.thawEndNs) - BigInt(result.Marks.firstFreezeNs)) / 1e6;
    deps.log.info(`Thaw filesystems done (${THAWED_BY[outcome.reason]})`);
  }
  // The applications' writers wait until their release; the held log can wait for them.
  await afterThaw();
  deps.log.release();
  return { outcome };
}
