// A systemd manager in memory: the calendar specs it knows are the test's (a spec it was not
// told about is refused, as systemd refuses what it cannot parse), units are enabled and
// started by name, and every call is recorded in order.
import type { CalendarAnswer, Systemd, TimerState } from '../../src/schedule/index.js';

export class FakeSystemd implements Systemd {
  readonly calls: string[] = [];
  readonly enabled = new Set<string>();
  readonly started = new Set<string>();
  /** The next call of this name throws. */
  failOn: string | undefined;

  constructor(
    private readonly specs: Record<string, { normalized: string; next?: string }>,
    private readonly o: { running?: boolean; analyzeCalendar?: boolean; takesSpec?: boolean } = {},
  ) {}

  private step(call: string): void {
    this.calls.push(call);
    if (this.failOn && call.startsWith(this.failOn)) {
      this.failOn = undefined;
      throw new Error(`${call}: Access denied`);
    }
  }

  async calendar(spec: string): Promise<CalendarAnswer> {
    this.step(`calendar ${spec}`);
    if (this.o.analyzeCalendar === false) return { kind: 'unknown' };
    const known = this.specs[spec];
    if (!known) return { kind: 'invalid', why: `Failed to parse calendar specification '${spec}'` };
    return { kind: 'valid', normalized: known.normalized, next: known.next };
  }
  async running(): Promise<boolean> {
    return this.o.running ?? true;
  }
  async daemonReload(): Promise<void> {
    this.step('daemon-reload');
  }
  async enableAndStart(unit: string): Promise<void> {
    this.step(`enable ${unit}`);
    this.enabled.add(unit);
    this.step(`start ${unit}`);
    this.started.add(unit);
  }
  async stopAndDisable(unit: string): Promise<void> {
    this.step(`stop ${unit}`);
    this.started.delete(unit);
    this.step(`disable ${unit}`);
    this.enabled.delete(unit);
  }
  async resetFailed(unit: string): Promise<void> {
    this.step(`reset-failed ${unit}`);
  }
  async timer(unit: string): Promise<TimerState> {
    this.step(`show ${unit}`);
    const active = this.started.has(unit);
    return {
      active,
      calendars: active && this.o.takesSpec !== false ? ['(as written)'] : [],
      next: undefined,
      last: undefined,
    };
  }
}
