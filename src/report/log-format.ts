// The vendor's log line: [level="info"][time="2021-08-03 18:58:44.410140607"][message="..."].
import { fixedOffsetMinutes } from './local-time.js';

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

let offset: { minutes: number | undefined } | undefined;

/**
 * Local time with nanosecond digits (microsecond precision from the performance clock). A fixed
 * zone's offset comes from its zone file (local-time.ts), so the first line costs no zone data.
 */
export function vendorTime(
  epochMs: number = performance.timeOrigin + performance.now(),
  fixedMinutes: number | undefined = (offset ??= { minutes: fixedOffsetMinutes() }).minutes,
): string {
  const subMs = Math.floor((epochMs % 1) * 1_000_000); // ns within the millisecond
  const ms = Math.floor(epochMs);
  // The fixed zone's wall clock is UTC's, shifted: read with the UTC getters.
  const d = new Date(fixedMinutes === undefined ? ms : ms + fixedMinutes * 60_000);
  const [y, mo, day, h, mi, sec, milli] =
    fixedMinutes === undefined
      ? [
          d.getFullYear(),
          d.getMonth(),
          d.getDate(),
          d.getHours(),
          d.getMinutes(),
          d.getSeconds(),
          d.getMilliseconds(),
        ]
      : [
          d.getUTCFullYear(),
          d.getUTCMonth(),
          d.getUTCDate(),
          d.getUTCHours(),
          d.getUTCMinutes(),
          d.getUTCSeconds(),
          d.getUTCMilliseconds(),
        ];
  return `${y}-${pad(mo + 1)}-${pad(day)} ${pad(h)}:${pad(mi)}:${pad(sec)}.${pad(milli, 3)}${pad(subMs, 6)}`;
}

export interface LineFields {
  readonly level: string;
  readonly message: string;
  readonly time?: string;
  readonly snapshotgroup?: string;
}

export function formatLine(f: LineFields): string {
  const time = f.time ?? vendorTime();
  const group = f.snapshotgroup ? `[snapshotgroup="${f.snapshotgroup}"] ` : '';
  return `[level="${f.level}"][time="${time}"]${group}[message="${f.message}"]`;
}

/** The line that says what the snapshots claim: the one a fleet reads back (readRunLog). */
export function tookMessage(consistency: 'AppConsistent' | 'FsConsistent'): string {
  return `Take ${consistency} snapshots successfully`;
}

/** The group call's line (the vendor's wording): its id is there before the run ends. */
export function groupCallMessage(requestId: string, groupId: string, cost: string): string {
  return `SnapshotGroup, requestid=${requestId}, GroupId=${groupId}, Cost:${cost}`;
}
const GROUP_CALL = /^SnapshotGroup, requestid=[^,]*, GroupId=([^,]+), Cost:/;

const LINE =
  /^\[level="([a-z]+)"\]\[time="([^"]*)"\](?:\[snapshotgroup="([^"]*)"\] )?\[message="(.*)"\]$/;

/** formatLine's inverse, for one line (a message that spans lines yields its first line). */
export function parseLine(line: string): LineFields | undefined {
  const m = LINE.exec(line);
  if (!m) return undefined;
  return { level: m[1]!, time: m[2]!, message: m[4]!, ...(m[3] ? { snapshotgroup: m[3] } : {}) };
}

/** What a fleet or cluster needs from an agent's log: read with the writer's own formats. */
export interface RunLogSummary {
  /** The group the run names (on its last line, whether it succeeded or not). */
  readonly groupId: string | undefined;
  readonly consistency: 'AppConsistent' | 'FsConsistent' | 'None';
  /** The last error line's message: the run's verdict ("Failed with exit code N: ..."). */
  readonly error: string | undefined;
}

export function readRunLog(text: string): RunLogSummary {
  const lines = text
    .split('\n')
    .map(parseLine)
    .filter((l): l is LineFields => l !== undefined);
  const took = (['AppConsistent', 'FsConsistent'] as const).find((c) =>
    lines.some((l) => l.message === tookMessage(c)),
  );
  const newestFirst = [...lines].reverse();
  return {
    groupId:
      newestFirst.find((l) => l.snapshotgroup)?.snapshotgroup ??
      newestFirst.map((l) => GROUP_CALL.exec(l.message)?.[1]).find((id) => id !== undefined),
    consistency: took ?? 'None',
    error: newestFirst.find((l) => l.level === 'error')?.message,
  };
}

/** Script output block, embedded the way the vendor's plugin does. */
export function formatOutput(output: string): string {
  return `[output="\n${output}${output.endsWith('\n') || !output ? '' : '\n'}"]`;
}

/** Go's time.Duration String(): 1.031426913s, 20.807753ms, 850µs, 0s. */
export function goDuration(ms: number): string {
  const ns = Math.round(ms * 1e6);
  if (ns === 0) return '0s';
  const trim = (v: number) => v.toFixed(9).replace(/\.?0+$/, '');
  if (ns < 1000) return `${ns}ns`;
  if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
  if (ns < 1e9) return `${trim(ns / 1e6)}ms`;
  const totalS = ns / 1e9;
  if (totalS < 60) return `${trim(totalS)}s`;
  const h = Math.floor(totalS / 3600);
  const m = Math.floor((totalS % 3600) / 60);
  const s = trim(totalS % 60);
  return `${h ? `${h}h` : ''}${m}m${s}s`;
}

/** UTC time as 20260102T030405 (file names): `sep` between the date and the time. */
export function utcStamp(d: Date, sep = 'T'): string {
  return d.toISOString().replace(/[-:]/g, '').replace(/\..*/, '').replace('T', sep);
}
