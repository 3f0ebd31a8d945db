// Which snapshot groups a prune keeps, as restic's `forget` decides which snapshots it keeps
// (https://restic.readthedocs.io/en/stable/060_forget.html): a pure function of the groups, the
// policy and nothing else, so a table test can pin every rule. Times are UTC; weeks are ISO
// weeks. Applied to each name (-Name) on its own. On top of restic's rules, three that protect a
// database's last good state: a group not yet accomplished is never removed, nor the newest
// AppConsistent group of a name, nor a group this agent did not make (the caller filters those).

/** A group as the policy sees it. */
export interface Candidate {
  readonly id: string;
  readonly name: string;
  /** Milliseconds since the epoch. */
  readonly createdMs: number;
  /** Still being made (or its state unknown): never removed. */
  readonly inProgress: boolean;
  /**
   * Failed on the cloud's side: no restore can come of it, so it never takes a place that a
   * usable group should have (last, hourly ... yearly); only --keep-within or a tag keep it.
   */
  readonly failed?: boolean;
  /**
   * When every snapshot of it has expired (-RetentionDays), in ms since the epoch. The cloud
   * deletes such snapshots itself; the local engine leaves that to prune, which removes an
   * expired group whatever the keep rules say (as the cloud would).
   */
  readonly expiresMs?: number;
  readonly consistency: 'AppConsistent' | 'FsConsistent' | 'None';
  readonly tags: Readonly<Record<string, string>>;
}

export interface KeepPolicy {
  readonly last?: number;
  readonly hourly?: number;
  readonly daily?: number;
  readonly weekly?: number;
  readonly monthly?: number;
  readonly yearly?: number;
  /** Keep every group made within this span of the name's newest group. */
  readonly within?: Span;
  /** Keep every group whose snapshots carry one of these tags. */
  readonly tags?: readonly { key: string; value: string }[];
}

/** A calendar span, as restic's --keep-within takes it: 1y2m3d4h. */
export interface Span {
  readonly years: number;
  readonly months: number;
  readonly days: number;
  readonly hours: number;
}

export interface Decision {
  readonly group: Candidate;
  readonly keep: boolean;
  /** Every rule that kept it (empty when removed; ['expired'] when its retention ran out). */
  readonly reasons: readonly string[];
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** ISO 8601 week-numbering year and week of a UTC instant. */
export function isoWeek(ms: number): { year: number; week: number } {
  const d = new Date(ms);
  const day = (d.getUTCDay() + 6) % 7; // Monday 0 ... Sunday 6
  // The Thursday of this week decides the year.
  const thursday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3);
  const year = new Date(thursday).getUTCFullYear();
  const week = 1 + Math.floor((thursday - Date.UTC(year, 0, 1)) / (7 * 86_400_000));
  return { year, week };
}

/** The bucket rules, in restic's order: the bucket key of an instant for each. */
const BUCKETS: readonly [keyof KeepPolicy, string, (ms: number) => string][] = [
  ['hourly', 'hourly', (ms) => new Date(ms).toISOString().slice(0, 13)],
  ['daily', 'daily', (ms) => new Date(ms).toISOString().slice(0, 10)],
  [
    'weekly',
    'weekly',
    (ms) => {
      const w = isoWeek(ms);
      return `${w.year}-W${pad(w.week)}`;
    },
  ],
  ['monthly', 'monthly', (ms) => new Date(ms).toISOString().slice(0, 7)],
  ['yearly', 'yearly', (ms) => new Date(ms).toISOString().slice(0, 4)],
];

/** `ms` minus a calendar span, in UTC (months and years as the calendar counts them). */
export function minusSpan(ms: number, s: Span): number {
  const d = new Date(ms);
  return Date.UTC(
    d.getUTCFullYear() - s.years,
    d.getUTCMonth() - s.months,
    d.getUTCDate() - s.days,
    d.getUTCHours() - s.hours,
    d.getUTCMinutes(),
    d.getUTCSeconds(),
    d.getUTCMilliseconds(),
  );
}

/** Whether the policy keeps anything at all: a prune without one is refused. */
export function hasKeepRule(p: KeepPolicy): boolean {
  return (
    [p.last, p.hourly, p.daily, p.weekly, p.monthly, p.yearly].some((n) => (n ?? 0) > 0) ||
    p.within !== undefined ||
    (p.tags?.length ?? 0) > 0
  );
}

/** The decisions for one name's groups, newest first. */
function planOneName(groups: readonly Candidate[], p: KeepPolicy, now: number): Decision[] {
  const sorted = [...groups].sort((a, b) => b.createdMs - a.createdMs || (a.id < b.id ? 1 : -1));
  const left = new Map(BUCKETS.map(([k]) => [k, (p[k] as number | undefined) ?? 0]));
  const lastKey = new Map<string, string>();
  const newest = sorted[0]?.createdMs ?? 0;
  const since = p.within ? minusSpan(newest, p.within) : Infinity;
  const expired = (g: Candidate) => g.expiresMs !== undefined && g.expiresMs <= now;
  const newestApp = sorted.find(
    (g) => g.consistency === 'AppConsistent' && !g.inProgress && !g.failed && !expired(g),
  );
  let usable = 0;
  return sorted.map((g) => {
    if (!g.inProgress && expired(g)) return { group: g, keep: false, reasons: ['expired'] };
    const reasons: string[] = [];
    if (g.inProgress) reasons.push('in progress');
    if (g === newestApp) reasons.push('newest AppConsistent');
    if (!g.failed && usable++ < (p.last ?? 0)) reasons.push('last');
    for (const [k, label, key] of g.failed ? [] : BUCKETS) {
      const bucket = key(g.createdMs);
      if (left.get(k)! > 0 && lastKey.get(k) !== bucket) {
        lastKey.set(k, bucket);
        left.set(k, left.get(k)! - 1);
        reasons.push(`${label} ${bucket}`);
      }
    }
    if (g.createdMs >= since) reasons.push('within');
    for (const t of p.tags ?? [])
      if (g.tags[t.key] === t.value) reasons.push(`tag ${t.key}=${t.value}`);
    return { group: g, keep: reasons.length > 0, reasons };
  });
}

/**
 * Every group, kept or removed, with the rules that kept it: grouped by name (names in
 * order), newest first within a name. Throws on a policy without a keep rule: prune never
 * removes everything by accident.
 */
export function planPrune(
  groups: readonly Candidate[],
  p: KeepPolicy,
  now: number = Date.now(),
): Decision[] {
  if (!hasKeepRule(p)) throw new Error('no keep rule: refusing to remove every group');
  const names = [...new Set(groups.map((g) => g.name))].sort();
  return names.flatMap((n) =>
    planOneName(
      groups.filter((g) => g.name === n),
      p,
      now,
    ),
  );
}
