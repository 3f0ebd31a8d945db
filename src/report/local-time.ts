// The machine's offset from UTC, read from its zone file instead of through the runtime: the
// first local-time call in Bun loads ICU's zone data (10-12 ms on a two-core machine), and the
// first log line comes before the first freeze. Only a zone with no daylight-saving rule in
// force is answered here (UTC, Asia/Shanghai: most servers); for any other the answer is
// undefined and the log uses Date's local time as before.
import { readFileSync } from 'node:fs';

/** POSIX TZ "std offset" with no DST part: CST-8, UTC0, <+0530>-5:30. Minutes east of UTC. */
export function posixFixedOffset(tz: string): number | undefined {
  const m = /^(?:<[^>]+>|[A-Za-z]{3,})([+-]?)(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?$/.exec(tz);
  if (!m) return undefined;
  const west = Number(m[2]) * 60 + Number(m[3] ?? 0) + Number(m[4] ?? 0) / 60;
  return (m[1] === '-' ? west : -west) + 0; // POSIX counts west as positive (+ 0: no -0)
}

/**
 * A TZif file's offset at `nowS` (Unix seconds), in minutes east of UTC, when it stays so: every
 * transition still ahead keeps it (a "fat" file ends with one at 2038 that changes nothing),
 * and the rule for later times (the version 2+ footer) has no DST. Otherwise undefined.
 */
export function tzifFixedOffset(buf: Buffer, nowS: number): number | undefined {
  if (buf.length < 44 || buf.toString('latin1', 0, 4) !== 'TZif') return undefined;
  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
  const counts = (at: number) => [0, 1, 2, 3, 4, 5].map((i) => buf.readUInt32BE(at + 20 + i * 4));
  const size = (c: number[], t: number) =>
    c[3]! * t + c[3]! + c[4]! * 6 + c[5]! + c[2]! * (t + 4) + c[1]! + c[0]!;
  const v1 = counts(0);
  if (buf[4] === 0) return v1[3] === 0 && v1[4] === 1 ? buf.readInt32BE(44) / 60 : undefined;
  const h2 = 44 + size(v1, 4);
  if (buf.toString('latin1', h2, h2 + 4) !== 'TZif') return undefined;
  const [, , , timecnt, typecnt] = counts(h2) as [number, number, number, number, number];
  const times = h2 + 44;
  const idx = times + timecnt * 8;
  const types = idx + timecnt;
  const utoff = (type: number) => buf.readInt32BE(types + type * 6);
  let current = 0; // before the first transition: the first type
  const ahead: number[] = [];
  for (let i = 0; i < timecnt; i++) {
    if (Number(buf.readBigInt64BE(times + i * 8)) <= nowS) current = buf[idx + i]!;
    else ahead.push(buf[idx + i]!);
  }
  if (current >= typecnt || ahead.some((t) => utoff(t) !== utoff(current))) return undefined;
  const footer = buf.toString('latin1', h2 + 44 + size(counts(h2), 8)).split('\n')[1] ?? '';
  const minutes = utoff(current) / 60;
  return footer === '' || posixFixedOffset(footer) === minutes ? minutes : undefined;
}

/** This machine's fixed offset in minutes east of UTC, or undefined (see above). */
export function fixedOffsetMinutes(
  env: NodeJS.ProcessEnv = process.env,
  nowS = Date.now() / 1000,
  read: (path: string) => Buffer = (p) => readFileSync(p),
): number | undefined {
  const tz = env.TZ?.replace(/^:/, '');
  if (tz !== undefined && tz !== '') {
    const posix = posixFixedOffset(tz);
    if (posix !== undefined) return posix;
  }
  const file = !tz ? '/etc/localtime' : tz.startsWith('/') ? tz : `/usr/share/zoneinfo/${tz}`;
  try {
    return tzifFixedOffset(read(file), nowS);
  } catch {
    return undefined; // no zone file: Date knows what the runtime was told
  }
}
