// Process identity and process groups, read from /proc.
import { readdirSync, readFileSync } from 'node:fs';

/** Fields of /proc/PID/stat after the ")" that closes the command name (field 3 onwards). */
function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** A process's identity that survives pid reuse: pid plus its start time in clock ticks. */
export function processStartTime(pid: number): string | undefined {
  return statFields(pid)?.[19]; // field 22
}

/** Alive (and not a zombie), and the same process if its start time is given. */
export function isAlive(pid: number, startTime?: string): boolean {
  const f = statFields(pid);
  if (!f || f[0] === 'Z' || f[0] === 'X') return false;
  return startTime === undefined || f[19] === startTime;
}

/** Live processes whose process group is `pgid` (a watchdog and the fsfreeze it started). */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return out;
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const f = statFields(Number(e));
    if (f && f[2] === String(pgid) && f[0] !== 'Z' && f[0] !== 'X') out.push(Number(e));
  }
  return out;
}

/** Signals a whole process group; false if it is gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}
