// The prune policy from the command line (`groups prune`, `fleet prune`, a run's --keep-*):
// restic's option names and forms. Anything malformed is one line and exit 2, before anything
// is listed or removed; so is a prune with no keep option at all.
import { ParamsError } from '../errors/errors.js';
import { hasKeepRule, type KeepPolicy, type Span } from './policy.js';

/** The keep options as given (strings, or undefined when absent). */
export interface KeepOptions {
  readonly keepLast?: string;
  readonly keepHourly?: string;
  readonly keepDaily?: string;
  readonly keepWeekly?: string;
  readonly keepMonthly?: string;
  readonly keepYearly?: string;
  readonly keepWithin?: string;
  readonly keepTag?: readonly string[];
}

const COUNTS = [
  ['keepLast', 'last', '--keep-last'],
  ['keepHourly', 'hourly', '--keep-hourly'],
  ['keepDaily', 'daily', '--keep-daily'],
  ['keepWeekly', 'weekly', '--keep-weekly'],
  ['keepMonthly', 'monthly', '--keep-monthly'],
  ['keepYearly', 'yearly', '--keep-yearly'],
] as const;

function count(flag: string, v: string): number {
  if (!/^\d+$/.test(v.trim()) || Number(v) < 1 || Number(v) > 1_000_000)
    throw new ParamsError(`${flag} must be a whole number from 1 to 1000000, got '${v}'`, flag);
  return Number(v);
}

/** restic's duration: years, months, days, hours, e.g. 1y6m, 30d, 2d12h. */
export function parseSpan(v: string): Span {
  const m = /^(?:(\d+)y)?(?:(\d+)m)?(?:(\d+)d)?(?:(\d+)h)?$/.exec(v.trim());
  if (!v.trim() || !m)
    throw new ParamsError(
      `--keep-within must be a span like 1y6m, 30d or 2d12h (y, m, d, h), got '${v}'`,
      '--keep-within',
    );
  const [years, months, days, hours] = m.slice(1).map((x) => Number(x ?? 0)) as [
    number,
    number,
    number,
    number,
  ];
  return { years, months, days, hours };
}

function tag(v: string): { key: string; value: string } {
  const i = v.indexOf('=');
  if (i < 1) throw new ParamsError(`--keep-tag must be KEY=VALUE, got '${v}'`, '--keep-tag');
  return { key: v.slice(0, i), value: v.slice(i + 1) };
}

/** Whether any keep option was given (a run prunes only when one was). */
export function anyKeepOption(o: KeepOptions): boolean {
  return (
    COUNTS.some(([k]) => o[k] !== undefined) ||
    o.keepWithin !== undefined ||
    (o.keepTag?.length ?? 0) > 0
  );
}

/** The policy, or exit 2 with the option at fault; no keep option at all is refused too. */
export function parseKeepOptions(o: KeepOptions): KeepPolicy {
  const policy: { -readonly [K in keyof KeepPolicy]: KeepPolicy[K] } = {};
  for (const [k, field, flag] of COUNTS) if (o[k] !== undefined) policy[field] = count(flag, o[k]);
  if (o.keepWithin !== undefined) policy.within = parseSpan(o.keepWithin);
  if (o.keepTag?.length) policy.tags = o.keepTag.map(tag);
  if (!hasKeepRule(policy))
    throw new ParamsError(
      'prune needs at least one keep option (--keep-last, --keep-hourly, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly, --keep-within, --keep-tag): it never removes every group',
      '--keep-last',
    );
  return policy;
}
