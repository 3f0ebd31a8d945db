// What schedules need of systemd, behind one interface (the contract suite,
// test/contract/systemd-contract.ts, runs it against systemd's own tools and the fake).
// systemd decides everything it can: whether a calendar spec is valid and when it next
// elapses; we never parse OnCalendar ourselves.
import { AgentError } from '../errors/errors.js';
import type { Runner } from '../system/runner.js';

export type CalendarAnswer =
  /** `normalized`: systemd's form of the spec; `next`: ISO UTC, or undefined when it never elapses again. */
  | { readonly kind: 'valid'; readonly normalized: string; readonly next: string | undefined }
  | { readonly kind: 'invalid'; readonly why: string }
  /** This systemd cannot say (systemd-analyze calendar came with systemd 235; CentOS 7 has 219). */
  | { readonly kind: 'unknown' };

export interface TimerState {
  /** The timer is loaded and waiting (ActiveState=active). */
  readonly active: boolean;
  /** The calendar specs systemd took from the unit (empty: it refused them all). */
  readonly calendars: readonly string[];
  /** Next firing, ISO UTC (with the randomized delay applied), if systemd has one. */
  readonly next: string | undefined;
  /** Last firing, ISO UTC, if any. */
  readonly last: string | undefined;
}

export interface Systemd {
  /** systemd's judgement of an OnCalendar spec, now. Never throws for a bad spec. */
  calendar(spec: string): Promise<CalendarAnswer>;
  /** Whether a systemd manager runs here (PID 1): without one there is nothing to enable. */
  running(): Promise<boolean>;
  daemonReload(): Promise<void>;
  /** enable, then start (two calls: `enable --now` came with systemd 220). */
  enableAndStart(unit: string): Promise<void>;
  /** stop, then disable; a unit that is not there is no error. */
  stopAndDisable(unit: string): Promise<void>;
  /** Forgets a failed unit's state (a last run that failed stays listed until then). */
  resetFailed(unit: string): Promise<void>;
  timer(unit: string): Promise<TimerState>;
}

/** systemd could not do what was asked (or is not there): exit 1, ConditionCheckFailed. */
export class SystemdError extends AgentError {
  constructor(message: string) {
    super('ConditionCheckFailed', message);
  }
}

/** `Tue 2026-12-08 02:00:00 UTC` (as systemd prints it under TZ=UTC) to ISO; else undefined. */
export function utcStamp(text: string): string | undefined {
  const m = /(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d) UTC/.exec(text);
  return m ? `${m[1]}T${m[2]}Z` : undefined;
}

/** Parses `systemd-analyze calendar SPEC`'s answer. */
export function calendarAnswer(exitCode: number, stdout: string, stderr: string): CalendarAnswer {
  if (exitCode !== 0) {
    if (/unknown (operation|command)/i.test(stderr)) return { kind: 'unknown' };
    return { kind: 'invalid', why: stderr.trim().split('\n').at(-1) || `exit ${exitCode}` };
  }
  const field = (name: string) => new RegExp(`^\\s*${name}: (.*)$`, 'm').exec(stdout)?.[1]?.trim();
  const normalized = field('Normalized form');
  if (normalized === undefined) return { kind: 'invalid', why: 'systemd gave no normalized form' };
  // Outside UTC systemd adds "(in UTC): ..." after the local next elapse.
  const next = field('\\(in UTC\\)') ?? field('Next elapse');
  return { kind: 'valid', normalized, next: next ? utcStamp(next) : undefined };
}

const TIMER_PROPS = ['ActiveState', 'TimersCalendar', 'NextElapseUSecRealtime', 'LastTriggerUSec'];

/** `systemctl show` of a timer (under TZ=UTC) to its state. */
export function timerState(out: string): TimerState {
  const prop = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(out)?.[1] ?? '';
  // TimersCalendar={ OnCalendar=*-*-* 02:00:00 ; next_elapse=... }, one per spec taken.
  const calendars = [...out.matchAll(/OnCalendar=([^;]*?) ;/g)].map((m) => m[1]!.trim());
  return {
    active: prop('ActiveState') === 'active',
    calendars,
    next: utcStamp(prop('NextElapseUSecRealtime')),
    last: utcStamp(prop('LastTriggerUSec')),
  };
}

/** The real systemd, through its command-line tools. */
export function realSystemd(runner: Runner): Systemd {
  const ctl = async (...args: string[]) => {
    const r = await runner.run('systemctl', args, { timeoutMs: 30_000, env: { TZ: 'UTC' } });
    if (r.exitCode !== 0)
      throw new SystemdError(
        `systemctl ${args.join(' ')}: ${r.stderr.trim() || r.stdout.trim() || `exit ${r.exitCode}`}`,
      );
    return r.stdout;
  };
  return {
    async calendar(spec) {
      // The machine's own time zone, as the timer will use: no TZ override here.
      const r = await runner.run('systemd-analyze', ['calendar', spec], { timeoutMs: 10_000 });
      // Not started at all: no systemd on this machine (a container, a cron-only system).
      if (r.exitCode === -1 && /ENOENT/.test(r.stderr))
        throw new SystemdError(
          'systemd-analyze is not installed: schedules need systemd (fleet schedule needs nothing on the instance)',
        );
      return calendarAnswer(r.exitCode, r.stdout, r.stderr);
    },
    async running() {
      const r = await runner.run('systemctl', ['is-system-running'], { timeoutMs: 10_000 });
      // running, degraded, starting...: a manager answered. "offline": none (a chroot, a container).
      return (
        r.stdout.trim() !== '' && r.stdout.trim() !== 'offline' && r.stdout.trim() !== 'unknown'
      );
    },
    async daemonReload() {
      await ctl('daemon-reload');
    },
    async enableAndStart(unit) {
      await ctl('enable', unit);
      await ctl('start', unit);
    },
    async stopAndDisable(unit) {
      const r = await runner.run('systemctl', ['stop', unit], { timeoutMs: 30_000 });
      if (r.exitCode !== 0 && !/not loaded|not found|does not exist/i.test(r.stderr))
        throw new SystemdError(`systemctl stop ${unit}: ${r.stderr.trim()}`);
      await ctl('disable', unit);
    },
    async resetFailed(unit) {
      // Nothing to forget is no error: systemd says so when the unit is not loaded or not failed.
      await runner.run('systemctl', ['reset-failed', unit], { timeoutMs: 30_000 });
    },
    timer: async (unit) =>
      timerState(await ctl('show', unit, ...TIMER_PROPS.flatMap((p) => ['-p', p]))),
  };
}
