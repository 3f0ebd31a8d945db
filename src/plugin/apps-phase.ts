import type { AppQuiescer, GroupLayout, Held } from '../apps/types.js';
import type { RunLog } from '../report/logger.js';
import type { RunResult } from './result.js';

/**
 * The built-in quiescers around the frozen window: quiesce after the pre-script, then, after
 * the thaw, verify each lock was held throughout, finish (SQL Server's metadata backup) and
 * release in reverse order. Release runs on every path for whatever was taken.
 */
export class AppsPhase {
  private readonly held: { q: AppQuiescer; h: Held; since: number }[] = [];

  constructor(
    private readonly apps: readonly AppQuiescer[],
    private readonly log: RunLog,
    private readonly result: RunResult,
  ) {}

  get active(): boolean {
    return this.apps.length > 0;
  }

  /** Connects to every app and checks it, before any of them is locked. */
  async connect(layout: GroupLayout): Promise<void> {
    for (const q of this.apps) {
      this.log.info(`Connect to ${q.type} app ${q.name}`);
      await q.prepare(layout);
      this.log.info(`App ${q.name}: ${q.plan()}`);
    }
  }

  /** Takes the locks, one app after the other; nothing here may wait on the network. */
  async quiesce(freezeBudgetS: number): Promise<void> {
    for (const q of this.apps) {
      this.log.info(`Quiesce ${q.type} app ${q.name}`);
      const before = performance.now();
      const h = await q.quiesce(freezeBudgetS);
      // Held from the statement that takes the lock, not from when it returned.
      this.held.push({ q, h, since: h.lockSentAt ?? before });
      this.log.info(
        `App ${q.name} quiesced: ${h.mode}; ${Object.entries(h.facts)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`,
      );
    }
  }

  /** Verify, finish and release; true when every lock was held through the thaw. */
  async finish(errors: unknown[]): Promise<boolean> {
    // Fewer held than selected means a quiesce failed, and then no group was made to read this.
    // Stryker disable next-line ConditionalExpression: (so it is a belt, not a decision)
    let ok = this.held.length === this.apps.length;
    for (const { q, h, since } of [...this.held].reverse()) {
      // No work between the two: verify, then release at once, without waiting (see Held).
      const verifying = h.verify();
      const releasing = h.afterThaw ? undefined : h.release();
      releasing?.catch(() => undefined); // its failure is read below
      const kept = await verifying;
      if (!kept) {
        const why = `app ${q.name}: its lock was lost before the thaw: the snapshot is not AppConsistent`;
        this.log.warn(why);
        this.result.Warnings.push(why);
      }
      ok &&= kept;
      try {
        if (kept) await h.afterThaw?.();
      } catch (e) {
        errors.push(e);
        ok = false;
      }
      try {
        await (releasing ?? h.release());
        this.log.info(`App ${q.name} released`);
      } catch (e) {
        errors.push(e);
        ok = false;
      }
      this.result.Apps.push({
        Name: q.name,
        Type: q.type,
        Mode: h.mode,
        HeldMs: performance.now() - since,
        Held: kept,
        Facts: h.facts,
      });
    }
    this.held.length = 0;
    return ok;
  }

  async close(): Promise<void> {
    await Promise.all(this.apps.map((q) => q.close().catch(() => undefined)));
  }
}
