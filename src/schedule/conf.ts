// A schedule's parameter file, /etc/app-snapshot-plugin/schedules/NAME.conf (root-only: its
// parameters may name scripts and apps). One word per line: `key=value` lines say when it
// fires; lines starting with "-" are the agent's parameters exactly as on a command line, so
// no quoting is needed; "#" starts a comment.
import { ParamsError } from '../errors/errors.js';

export interface ScheduleConf {
  readonly name: string;
  readonly onCalendar: string;
  readonly randomizedDelaySec: number;
  /** The agent's parameter words (-Name=x, ...). */
  readonly params: readonly string[];
}

/** systemd instance names allow more; this keeps file names, unit names and labels plain. */
export const SCHEDULE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export function checkScheduleName(name: string): string {
  if (!SCHEDULE_NAME.test(name))
    throw new ParamsError(
      `schedule name ${JSON.stringify(name)}: 1-64 characters, letters, digits, "_", ".", "-", starting with a letter or digit`,
    );
  return name;
}

export function renderConf(c: ScheduleConf): string {
  return [
    `# app-snapshot-plugin schedule ${c.name}: written by \`schedule add\` (add it again to change it)`,
    `on-calendar=${c.onCalendar}`,
    `randomized-delay-sec=${c.randomizedDelaySec}`,
    ...c.params,
    '',
  ].join('\n');
}

export function parseConf(name: string, text: string): ScheduleConf {
  let onCalendar: string | undefined;
  let randomizedDelaySec = 0;
  const params: string[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('-')) {
      params.push(line);
      continue;
    }
    const m = /^([a-z-]+)=(.*)$/.exec(line);
    if (m?.[1] === 'on-calendar' && m[2]) onCalendar = m[2];
    else if (m?.[1] === 'randomized-delay-sec' && /^\d+$/.test(m[2]!))
      randomizedDelaySec = Number(m[2]);
    else throw new ParamsError(`schedule ${name}: line ${i + 1} is not understood: ${line}`);
  }
  if (!onCalendar) throw new ParamsError(`schedule ${name}: no on-calendar line`);
  return { name, onCalendar, randomizedDelaySec, params };
}

/** `30`, `90s`, `10m`, `2h`, `1h30m` to seconds (the forms RandomizedDelaySec takes that people use). */
export function parseDelay(text: string): number {
  const parts = [...text.matchAll(/(\d+)\s*(min|sec|h|m|s)?/g)];
  const consumed = parts.map((p) => p[0]).join('');
  if (!parts.length || consumed.replace(/\s/g, '') !== text.replace(/\s/g, ''))
    throw new ParamsError(
      `--randomized-delay ${JSON.stringify(text)}: use seconds, or 90s, 10m, 2h, 1h30m`,
    );
  const unit: Record<string, number> = { h: 3600, m: 60, min: 60, s: 1, sec: 1 };
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2] ?? 's']!, 0);
}
