// Cloud Assistant's Frequency for RepeatMode=Period, as the ECS SDK's RunCommandRequest
// documents it: rate(<n><s|m|h|d>) (60 s to 7 days, longer than the command's Timeout; the
// first run one interval after creation), at(yyyy-MM-dd HH:mm:ss [zone]) (once), or a cron
// expression `<sec> <min> <hour> <day-of-month> <month> <day-of-week> [year] [zone]` (Quartz
// style: `?` in one of the day fields). Zones: UTC, GMT+8:00 / GMT-7:00 (no leading zero), or an
// IANA name (its offset now: the emulator does not follow daylight saving changes).

export type Frequency =
  | { readonly kind: 'rate'; readonly everyMs: number }
  | { readonly kind: 'at'; readonly atMs: number }
  | {
      readonly kind: 'cron';
      readonly fields: readonly Set<number>[];
      readonly years?: Set<number>;
      readonly offsetMs: number;
    };

export class FrequencyError extends Error {}

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The zone's offset from UTC in ms (positive east), or a FrequencyError. */
export function zoneOffsetMs(zone: string | undefined, at = Date.now()): number {
  if (!zone || zone === 'UTC') return 0;
  const gmt = /^GMT([+-])([1-9]\d?|0):([0-5]\d)$/.exec(zone);
  if (gmt) return (gmt[1] === '-' ? -1 : 1) * (Number(gmt[2]) * 60 + Number(gmt[3])) * 60_000;
  try {
    const parts = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    }).formatToParts(new Date(at));
    const f = (t: string) => Number(parts.find((p) => p.type === t)!.value);
    const local = Date.UTC(
      f('year'),
      f('month') - 1,
      f('day'),
      f('hour'),
      f('minute'),
      f('second'),
    );
    return local - Math.floor(at / 1000) * 1000;
  } catch {
    throw new FrequencyError(`unknown time zone ${zone}`);
  }
}

// sec, min, hour, day of month, month, day of week (1-7, SUN=1 as Quartz; we also take 0 as SUN)
const RANGES: [number, number][] = [
  [0, 59],
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [1, 7],
];
const NAMES: Record<string, number> = {
  JAN: 1,
  FEB: 2,
  MAR: 3,
  APR: 4,
  MAY: 5,
  JUN: 6,
  JUL: 7,
  AUG: 8,
  SEP: 9,
  OCT: 10,
  NOV: 11,
  DEC: 12,
  SUN: 1,
  MON: 2,
  TUE: 3,
  WED: 4,
  THU: 5,
  FRI: 6,
  SAT: 7,
};

function field(text: string, [lo, hi]: [number, number], i: number): Set<number> {
  const out = new Set<number>();
  const num = (s: string) => {
    const n = NAMES[s.toUpperCase()] ?? Number(s);
    if (!Number.isInteger(n))
      throw new FrequencyError(`cron field ${i + 1}: '${s}' is not a value`);
    return i === 5 && n === 0 ? 1 : n;
  };
  for (const part of text.split(',')) {
    const [range, stepText] = part.split('/');
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1)
      throw new FrequencyError(`cron field ${i + 1}: bad step in '${part}'`);
    let from = lo;
    let to = hi;
    if (range !== '*' && range !== '?') {
      const [a, b] = range!.split('-');
      from = num(a!);
      to = b === undefined ? (stepText === undefined ? from : hi) : num(b);
    }
    if (from < lo || to > hi || from > to)
      throw new FrequencyError(`cron field ${i + 1}: '${part}' is out of ${lo}-${hi}`);
    for (let v = from; v <= to; v += step) out.add(v);
  }
  return out;
}

export function parseFrequency(text: string, timeoutS: number, now = Date.now()): Frequency {
  const rate = /^rate\((\d+)([smhd])\)$/.exec(text.trim());
  if (rate) {
    const everyMs = Number(rate[1]) * UNIT_MS[rate[2]!]!;
    if (everyMs < 60_000 || everyMs > 7 * 86_400_000)
      throw new FrequencyError('a rate must be 60 seconds to 7 days');
    if (everyMs <= timeoutS * 1000)
      throw new FrequencyError('a rate must be longer than the Timeout');
    return { kind: 'rate', everyMs };
  }
  const at = /^at\((\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)(?: (\S+))?\)$/.exec(text.trim());
  if (at) {
    const [y, mo, d, h, mi, s] = at.slice(1, 7).map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    return { kind: 'at', atMs: Date.UTC(y, mo - 1, d, h, mi, s) - zoneOffsetMs(at[7], now) };
  }
  const words = text.trim().split(/\s+/);
  const zone = words.length > 6 && /[A-Za-z]/.test(words.at(-1)!) ? words.pop() : undefined;
  if (words.length !== 6 && words.length !== 7)
    throw new FrequencyError(
      'not rate(...), at(...) nor a cron expression of 6 or 7 fields and a zone',
    );
  if (words[3] === '?' && words[5] === '?')
    throw new FrequencyError("cron: day-of-month and day-of-week cannot both be '?'");
  const fields = words.slice(0, 6).map((w, i) => field(w, RANGES[i]!, i));
  const years = words[6] ? field(words[6], [1970, 2099], 6) : undefined;
  return { kind: 'cron', fields, ...(years ? { years } : {}), offsetMs: zoneOffsetMs(zone, now) };
}

/** The first firing strictly after `afterMs` (undefined: never again). `createdMs`: for rate. */
export function nextFiring(f: Frequency, afterMs: number, createdMs: number): number | undefined {
  if (f.kind === 'rate') {
    const n = Math.floor((afterMs - createdMs) / f.everyMs) + 1;
    return createdMs + Math.max(1, n) * f.everyMs;
  }
  if (f.kind === 'at') return f.atMs > afterMs ? f.atMs : undefined;
  const [sec, min, hour, dom, mon, dow] = f.fields as [
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
    Set<number>,
  ];
  const seconds = [...sec].sort((a, b) => a - b);
  // Minute by minute in the zone's local time, for up to a year and a day.
  const start = Math.floor((afterMs + f.offsetMs) / 60_000) * 60_000;
  for (let local = start; local < start + 367 * 86_400_000; local += 60_000) {
    const d = new Date(local);
    if (!min.has(d.getUTCMinutes()) || !hour.has(d.getUTCHours()) || !mon.has(d.getUTCMonth() + 1))
      continue;
    if (!dom.has(d.getUTCDate()) || !dow.has(d.getUTCDay() + 1)) continue;
    if (f.years && !f.years.has(d.getUTCFullYear())) continue;
    // Only the first minute can have its seconds already past.
    const s = seconds.find((v) => local + v * 1000 - f.offsetMs > afterMs);
    if (s === undefined) continue;
    return local + s * 1000 - f.offsetMs;
  }
  return undefined;
}
