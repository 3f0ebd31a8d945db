import { randomUUID } from 'node:crypto';
import type { GroupInfo } from '../engines/types.js';
import { Deadline, monoNs } from '../system/clock.js';
import type { Freezer, ThawOutcome } from '../freeze/types.js';
import type { Params } from '../params/index.js';
import { AgentError } from '../report/errors.js';
import type { Deps } from './deps.js';
import { stopIfInterrupted } from './interrupt.js';
import type { Phase, RunResult } from './result.js';
import type { RunPlan } from './validate.js';

export type Timed = <T>(phase: Phase, fn: () => Promise<T>) => Promise<T>;

/** A freezer whose watchdog is starting (or started): see startFreezer. */
export interface PreparedFreezer {
  readonly freezer: Freezer;
  readonly ready: Promise<void>;
}

/**
 * Starts the watchdog as soon as the plan is known, so its start-up overlaps the pre-script
 * instead of lengthening the path to the first freeze. The caller disposes it on every path.
 */
export function startFreezer(deps: Deps, plan: RunPlan): PreparedFreezer | undefined {
  if (!plan.freeze?.freeze.length) return undefined;
  const freezer = deps.newFreezer();
  const ready = freezer.prepare();
  ready.catch(() => undefined); // awaited (and reported) in the window
  return { freezer, ready };
}

export interface WindowOutcome {
  readonly group: GroupInfo | undefined;
  /** Freeze held from before the point in time until after it (or there was nothing to freeze). */
  readonly freezeHeld: boolean;
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
): Promise<WindowOutcome> {
  const { log } = deps;
  const mounts = plan.freeze?.freeze.map((f) => f.mountPoint) ?? [];
  const waves = plan.freeze?.waves ?? [];
  const freezer = watchdog?.freezer;
  let group: GroupInfo | undefined;
  let error: unknown;
  let thawError: unknown;
  let thaw: ThawOutcome | undefined;
  let pointInTimeNs: bigint | undefined;
  let frozen = false;
  let deadline: Deadline | undefined;
  try {
    stopIfInterrupted(deps.interrupt, 'the freeze');
    if (freezer) {
      // Dirty data written now, outside the window, so that FIFREEZE has little left to do.
      await deps.presync?.(mounts);
      await timed('freeze', async () => {
        await watchdog!.ready; // the watchdog exists before the first freeze
        log.info(
          `Freeze filesystems (${mounts.length}): ${waves.map((w) => w.join(', ')).join(' | ')}`,
        );
        log.hold();
        // One deadline for everything while frozen: the freeze, the group call, its retries.
        deadline = new Deadline(params.timeoutInSeconds * 1000);
        const out = await freezer.freeze(waves, deadline);
        frozen = true;
        result.Frozen = out.frozen;
        result.Marks.firstFreezeNs = out.firstFreezeNs;
      });
    } else if (params.enableFsFreeze) {
      log.info('No mounted filesystem on the group disks needs freezing');
    }
    stopIfInterrupted(deps.interrupt, 'the snapshot group was created');
    log.info(`Create snapshot group for disks: ${plan.disks.map((d) => d.id).join(', ')}`);
    group = await timed('snapshot', () =>
      deps.engine.createGroup({
        name: params.name,
        description: params.description,
        diskIds: plan.disks.map((d) => d.id),
        instantAccess: params.instantAccess,
        instantAccessRetentionDays: params.instantAccessRetentionDays,
        clientToken: randomUUID(),
        ...(deadline ? { deadline } : {}),
      }),
    );
    pointInTimeNs = BigInt(monoNs());
    log.info(`SnapshotGroup created, GroupId=${group.id}`);
  } catch (e) {
    error = e;
  } finally {
    if (freezer) {
      try {
        thaw = await timed('thaw', () => freezer.thaw());
        result.Marks.thawEndNs = thaw.thawEndNs;
      } catch (e) {
        thawError = e;
      } finally {
        log.release();
      }
    }
  }
  if (frozen && thaw) {
    result.Timings.freezeWindow =
      Number(BigInt(thaw.thawEndNs) - BigInt(result.Marks.firstFreezeNs!)) / 1e6;
    log.info(`Thaw filesystems done (${THAWED_BY[thaw.reason]})`);
  }
  const held: ReturnType<typeof freezeHeldUntil> =
    frozen && thaw ? freezeHeldUntil(thaw, pointInTimeNs) : { ok: true };
  if (!held.ok) {
    error ??= new AgentError(
      'FreezeFailed',
      `${held.why}; TimeoutInSeconds=${params.timeoutInSeconds}${group ? `; the group ${group.id} is kept, without a consistency tag` : ''}`,
    );
  }
  const freezeHeld = !thawError && held.ok;
  return { group, freezeHeld: freezeHeld && !error, error, thawError };
}

const THAWED_BY: Record<ThawOutcome['reason'], string> = {
  requested: 'on request',
  deadline: 'by the watchdog: deadline',
  'agent-gone': 'by the watchdog: agent gone',
  signal: 'by the watchdog: signal',
  'freeze-failed': 'by the watchdog: freeze failed',
  'agent-deadline': 'by the agent at the deadline: the watchdog had not thawed',
  'watchdog-lost': 'by the agent: the watchdog died or stopped answering',
};

/** Whether the freeze provably held from before the point in time until after it. */
export function freezeHeldUntil(
  thaw: ThawOutcome,
  pointInTimeNs: bigint | undefined,
): { ok: true } | { ok: false; why: string } {
  if (thaw.reason === 'requested') return { ok: true };
  if (thaw.reason === 'watchdog-lost') {
    return {
      ok: false,
      why: 'the freeze watchdog died or stopped answering: when the freeze ended cannot be known',
    };
  }
  if (pointInTimeNs !== undefined && BigInt(thaw.thawStartNs) >= pointInTimeNs) return { ok: true };
  return {
    ok: false,
    why: `the filesystems were thawed (${THAWED_BY[thaw.reason]}) before the snapshot point was fixed`,
  };
}
