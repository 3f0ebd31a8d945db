import { monoNs } from '../system/clock.js';
import type { Params } from '../params/index.js';
import { describeError, exitCodeFor } from '../errors/exit-code-for.js';
import type { Lock } from '../system/lock.js';
import type { GroupInfo } from '../engines/types.js';
import { AppsPhase } from './apps-phase.js';
import { groupLayout } from './layout.js';
import type { Deps } from './deps.js';
import { stopIfInterrupted } from './interrupt.js';
import { emptyResult, type Phase, type RunResult } from './result.js';
import { runScriptPhase } from './scripts-phase.js';
import { summarize } from './summary.js';
import { tag, type Tagging } from './tag.js';
import { retain } from './retain.js';
import { pruneAfterRun } from './prune-after.js';
import { decide, snapshotsOf, tagSet, taggedIds } from './consistency.js';
import { validate, type RunPlan } from './validate.js';
import { waitGroup } from './wait.js';
import {
  snapshotWindow,
  startFreezer,
  type PreparedFreezer,
  type WindowOutcome,
} from './window.js';

/**
 * One run, as a list of phases:
 * validate -> pre-script -> quiesce -> freeze -> snapshot group -> thaw -> release ->
 * post-script -> wait -> tag. Compensations (thaw, release, post-script) run on every path;
 * the first failure decides the exit code.
 */
export async function runSnapshot(deps: Deps, params: Params): Promise<RunResult> {
  return new Run(deps, params).run();
}

class Run {
  private readonly result = emptyResult();
  private readonly errors: unknown[] = [];
  private readonly apps: AppsPhase;
  private lock: Lock | undefined;
  private preStarted = false;
  // Stryker disable next-line BooleanLiteral: read only when a group exists, and no group is made unless the pre-script succeeded
  private preOk = false;
  private window: WindowOutcome | undefined;
  private released: Promise<boolean> | undefined;

  constructor(
    private readonly deps: Deps,
    private readonly params: Params,
  ) {
    this.apps = new AppsPhase(deps.apps, deps.log, this.result);
  }

  async run(): Promise<RunResult> {
    const started = performance.now();
    const marks = this.result.Marks;
    marks.runStartNs = monoNs();
    try {
      const plan = await this.timed('validate', () => validate(this.deps, this.params));
      marks.validatedNs = monoNs();
      await this.takeLock(plan);
      marks.lockedNs = monoNs();
      await this.forward(plan);
      const appOk = await this.release();
      const postOk = await this.postScript(plan);
      await this.finishGroup(plan, (plan.pre ? this.preOk : true) && postOk && appOk);
      await this.pruneAfter(plan);
    } catch (e) {
      this.errors.push(e);
    } finally {
      this.lock?.release();
      this.deps.scripts.cleanup();
    }
    this.result.Timings.total = performance.now() - started;
    // Stryker disable next-line MethodExpression: passing the primary among the rest changes nothing
    this.result.ExitCode = exitCodeFor(this.errors[0], this.errors.slice(1));
    summarize(this.deps, this.result, this.errors);
    return this.result;
  }

  private async timed<T>(phase: Phase, fn: () => Promise<T>): Promise<T> {
    const t0 = performance.now();
    try {
      return await fn();
    } finally {
      const t = this.result.Timings;
      t[phase] = (t[phase] ?? 0) + performance.now() - t0;
    }
  }

  private warn(message: string): void {
    this.result.Warnings.push(message);
    this.deps.log.warn(message);
  }

  /** The lock, a dead run's leftovers, and what this run will (and will not) claim. */
  private async takeLock(plan: RunPlan): Promise<void> {
    this.lock = await this.deps.acquireLock();
    for (const m of this.deps.recoverLeftoverFreeze()) {
      this.warn(`thawed ${m}, left frozen by an earlier run that died`);
    }
    for (const w of plan.warnings) this.warn(w);
    for (const w of plan.why) if (plan.intent !== 'AppConsistent') this.warn(w);
    for (const s of plan.skippedDisks) this.warn(`disk ${s.id} skipped: ${s.reason}`);
    this.deps.log.info(
      plan.intent !== 'AppConsistent'
        ? `${plan.intent === 'FsConsistent' ? 'FsConsistent' : 'Crash-consistent'} Snapshots (no application script)`
        : plan.pre
          ? 'AppConsistent Snapshots with Pre/Post-Script Enabled'
          : `AppConsistent Snapshots with built-in quiescers: ${this.deps.apps.map((a) => a.name).join(', ')}`,
    );
  }

  /** Pre-script, quiesce, the frozen window. A failure is recorded; compensations follow. */
  private async forward(plan: RunPlan): Promise<void> {
    const { deps, params } = this;
    let watchdog: PreparedFreezer | undefined;
    try {
      stopIfInterrupted(deps.interrupt, 'the pre-script');
      watchdog = startFreezer(deps, plan);
      await this.preScript(plan);
      await this.quiesce(plan);
      const timed = <T>(phase: Phase, fn: () => Promise<T>) => this.timed(phase, fn);
      this.window = await snapshotWindow(deps, plan, params, this.result, timed, watchdog, {
        afterThaw: () => this.release(),
        presynced: this.apps.active,
      });
      if (this.window.error) this.errors.push(this.window.error);
      if (this.window.thawError) this.errors.push(this.window.thawError);
    } catch (e) {
      this.errors.push(e);
    } finally {
      await watchdog?.freezer.dispose();
    }
  }

  private async preScript(plan: RunPlan): Promise<void> {
    if (!plan.pre) return;
    this.preStarted = true;
    await this.timed('preScript', () =>
      runScriptPhase(
        this.deps.scripts,
        this.deps.log,
        this.result,
        'pre',
        plan.pre!,
        this.params.scriptTimeoutInSeconds * 1000,
        this.deps.interrupt,
      ),
    );
    this.preOk = true;
  }

  /**
   * Everything that may wait on the network happens before the first lock is taken:
   * connections to the apps, then the engine's credentials, DNS and connection.
   */
  private async quiesce(plan: RunPlan): Promise<void> {
    const { deps, apps } = this;
    // Stryker disable next-line ConditionalExpression: connecting no apps does nothing either
    if (apps.active) await apps.connect(groupLayout(deps.platform, plan));
    stopIfInterrupted(deps.interrupt, 'the freeze');
    await deps.engine.warmUp?.();
    if (!apps.active) return;
    stopIfInterrupted(deps.interrupt, 'the application quiesce');
    // Dirty data flushed before the lock, so the lock is held for less time.
    await deps.presync?.(plan.freeze?.freeze.map((f) => f.mountPoint) ?? []);
    await this.timed('quiesce', () => apps.quiesce(this.params.timeoutInSeconds));
  }

  /**
   * Invariant 3, for the built-in quiescers: what was locked is released, in reverse order. Once:
   * right after the thaw (the window calls it), or after a run that never reached the window.
   */
  private release(): Promise<boolean> {
    return (this.released ??= (async () => {
      const ok = this.apps.active
        ? await this.timed('release', () => this.apps.finish(this.errors))
        : true;
      await this.apps.close();
      return ok;
    })());
  }

  /** Invariant 3: the post-script runs whenever the pre-script started. */
  private async postScript(plan: RunPlan): Promise<boolean> {
    if (!plan.post) return true;
    // Without the pre-script there is no group, so no tag reads this result.
    // Stryker disable next-line BooleanLiteral: (so either value is right)
    if (plan.pre && !this.preStarted) return false;
    try {
      await this.timed('postScript', () =>
        runScriptPhase(
          this.deps.scripts,
          this.deps.log,
          this.result,
          'post',
          plan.post!,
          this.params.scriptTimeoutInSeconds * 1000,
        ),
      );
      return true;
    } catch (e) {
      this.errors.push(e);
      return false;
    }
  }

  /** The keep options, after a run that succeeded only; a failed prune is a warning. */
  private async pruneAfter(plan: RunPlan): Promise<void> {
    if (!plan.keep || this.errors.length || !this.result.SnapshotGroupId) return;
    await this.timed('prune', () =>
      pruneAfterRun(this.deps, this.params.name, plan.keep!, this.result),
    ).catch((e: unknown) => this.warn(`prune after the run failed: ${describeError(e)}`));
  }

  /** -RetentionDays on every snapshot of the group: the expiry, or undefined (none asked, or failed). */
  private async retain(group: GroupInfo): Promise<string | undefined> {
    const days = this.params.retentionDays;
    if (!days) return undefined;
    try {
      const expires = await this.timed('retain', () => retain(this.deps, group, days));
      this.result.Retention = { Days: days, ExpiresAt: expires };
      return expires;
    } catch (e) {
      this.errors.push(e);
      this.warn('the snapshots have no retention: they are kept (and billed) until deleted');
      return undefined;
    }
  }

  /** Wait for the group, then tag every snapshot with what it may truthfully claim. */
  private async finishGroup(plan: RunPlan, appOk: boolean): Promise<void> {
    const window = this.window;
    if (!window?.group) return;
    const { result } = this;
    result.SnapshotGroupId = window.group.id;
    result.FreezeHeld = this.params.enableFsFreeze && window.freezeHeld;
    const group = await this.timed('wait', () =>
      waitGroup(this.deps, window.group!, this.params.groupTimeoutInSeconds, window.calledAt),
    );
    const expires = await this.retain(group);
    const consistency = decide(plan.intent, this.params.enableFsFreeze, appOk, window.freezeHeld);
    result.Consistency = consistency;
    let tagged: Tagging | undefined;
    if (consistency !== 'None') {
      // What the quiescers recorded under their locks goes with the snapshots (e.g. db1.Gtid),
      // and the expiry once the engine has it (never before: a tag must not claim it).
      const tags = {
        ...tagSet(consistency, result.Apps),
        ...(expires ? { ExpiresAt: expires } : {}),
      };
      const t = { ids: taggedIds(group, plan.freeze), tags };
      await this.timed('tag', () => tag(this.deps, t, consistency)).then(
        () => (tagged = t),
        (e: unknown) => void this.errors.push(e),
      );
    } else {
      this.warn('snapshots left without a consistency tag: they are crash-consistent only');
    }
    result.Snapshots = snapshotsOf(group, tagged);
  }
}
