import type { GroupInfo } from '../engines/types.js';
import type { Params } from '../params/index.js';
import { exitCodeFor } from '../report/exit-code-for.js';
import { AgentError } from '../report/errors.js';
import type { Lock } from '../system/lock.js';
import type { Deps } from './deps.js';
import { emptyResult, type Phase, type RunResult } from './result.js';
import { runScriptPhase } from './scripts-phase.js';
import { validate, type Consistency, type RunPlan } from './validate.js';
import { AppsPhase } from './apps-phase.js';
import { stopIfInterrupted } from './interrupt.js';
import { summarize } from './summary.js';
import { tag } from './tag.js';
import { waitGroup } from './wait.js';
import { snapshotWindow, startFreezer, type PreparedFreezer } from './window.js';

/**
 * One run, as a list of phases:
 * validate -> pre-script -> freeze -> snapshot group -> thaw -> post-script -> wait -> tag.
 * Compensations (thaw, post-script) run on every path; the first failure decides the exit code.
 */
export async function runSnapshot(deps: Deps, params: Params): Promise<RunResult> {
  const { log } = deps;
  const result = emptyResult();
  const started = performance.now();
  const errors: unknown[] = [];
  const timed = async <T>(phase: Phase, fn: () => Promise<T>): Promise<T> => {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      result.Timings[phase] = (result.Timings[phase] ?? 0) + performance.now() - t0;
    }
  };
  let lock: Lock | undefined;
  let plan: RunPlan | undefined;
  let group: GroupInfo | undefined;
  try {
    plan = await timed('validate', () => validate(deps, params));
    lock = await deps.acquireLock();
    for (const m of deps.recoverLeftoverFreeze()) {
      warn(deps, result, `thawed ${m}, left frozen by an earlier run that died`);
    }
    for (const w of plan.warnings) warn(deps, result, w);
    for (const w of plan.why) if (plan.intent !== 'AppConsistent') warn(deps, result, w);
    for (const s of plan.skippedDisks) warn(deps, result, `disk ${s.id} skipped: ${s.reason}`);
    log.info(
      plan.intent !== 'AppConsistent'
        ? `${plan.intent === 'FsConsistent' ? 'FsConsistent' : 'Crash-consistent'} Snapshots (no application script)`
        : plan.pre
          ? 'AppConsistent Snapshots with Pre/Post-Script Enabled'
          : `AppConsistent Snapshots with built-in quiescers: ${deps.apps.map((a) => a.name).join(', ')}`,
    );

    let preStarted = false;
    let preOk = false;
    const apps = new AppsPhase(deps.apps, log, result);
    let window: Awaited<ReturnType<typeof snapshotWindow>> | undefined;
    let watchdog: PreparedFreezer | undefined;
    try {
      stopIfInterrupted(deps.interrupt, 'the pre-script');
      watchdog = startFreezer(deps, plan);
      if (plan.pre) {
        preStarted = true;
        await timed('preScript', () =>
          runScriptPhase(
            deps.scripts,
            log,
            result,
            'pre',
            plan!.pre!,
            params.scriptTimeoutInSeconds * 1000,
            deps.interrupt,
          ),
        );
        preOk = true;
      }
      // Everything that may wait on the network happens before the first lock is taken:
      // connections to the apps, then the engine's credentials, DNS and connection.
      if (apps.active) await apps.connect();
      stopIfInterrupted(deps.interrupt, 'the freeze');
      await deps.engine.warmUp?.();
      if (apps.active) {
        stopIfInterrupted(deps.interrupt, 'the application quiesce');
        // Dirty data flushed before the lock, so the lock is held for less time.
        await deps.presync?.(plan.freeze?.freeze.map((f) => f.mountPoint) ?? []);
        await timed('quiesce', () => apps.quiesce(params.timeoutInSeconds));
      }
      window = await snapshotWindow(deps, plan, params, result, timed, watchdog);
      group = window.group;
      if (window.error) errors.push(window.error);
      if (window.thawError) errors.push(window.thawError);
    } catch (e) {
      errors.push(e);
    } finally {
      await watchdog?.freezer.dispose();
    }

    // Invariant 3, for the built-in quiescers: what was locked is released, in reverse order.
    const appsOk = apps.active ? await timed('release', () => apps.finish(errors)) : true;
    await apps.close();

    // Invariant 3: the post-script runs whenever the pre-script started.
    let postOk = !plan.post;
    if (plan.post && (preStarted || !plan.pre)) {
      try {
        await timed('postScript', () =>
          runScriptPhase(
            deps.scripts,
            log,
            result,
            'post',
            plan!.post!,
            params.scriptTimeoutInSeconds * 1000,
          ),
        );
        postOk = true;
      } catch (e) {
        errors.push(e);
      }
    }

    if (group) {
      result.SnapshotGroupId = group.id;
      group = await timed('wait', () => waitGroup(deps, group!, params.groupTimeoutInSeconds));
      const appOk = (plan.pre ? preOk : true) && postOk && appsOk;
      const consistency = decide(plan, params, appOk, window?.freezeHeld ?? false);
      result.Consistency = consistency;
      if (consistency !== 'None' && !errors.some(isFreezeOrThaw)) {
        await timed('tag', () => tag(deps, result, plan!, group!, consistency)).catch((e) =>
          errors.push(e),
        );
      } else {
        warn(
          deps,
          result,
          'snapshots left without a consistency tag: they are crash-consistent only',
        );
      }
      result.Snapshots = group.snapshots.map((s) => ({
        SnapshotId: s.id,
        DiskId: s.diskId,
        Tags: result.Snapshots.find((x) => x.SnapshotId === s.id)?.Tags ?? s.tags,
      }));
    }
  } catch (e) {
    errors.push(e);
  } finally {
    lock?.release();
    deps.scripts.cleanup();
  }
  result.Timings.total = performance.now() - started;
  result.ExitCode = exitCodeFor(errors[0], errors.slice(1));
  summarize(deps, result, errors);
  return result;
}

function isFreezeOrThaw(e: unknown): boolean {
  return e instanceof AgentError && (e.kind === 'FreezeFailed' || e.kind === 'ThawFailed');
}

function warn(deps: Deps, result: RunResult, message: string): void {
  result.Warnings.push(message);
  deps.log.warn(message);
}

/** What the snapshots may truthfully claim. */
export function decide(
  plan: RunPlan,
  params: Params,
  scriptsOk: boolean,
  freezeHeld: boolean,
): Consistency {
  const appOk = plan.intent === 'AppConsistent' && scriptsOk;
  if (!params.enableFsFreeze) return appOk ? 'AppConsistent' : 'None';
  if (!freezeHeld) return 'None';
  return appOk ? 'AppConsistent' : 'FsConsistent';
}
