// Schedules on this instance: a root-only parameter file and a systemd timer per schedule.
// Everything that can be refused is refused before anything is written (the name, the agent's
// parameters, the calendar spec by systemd itself); a step that fails after that undoes the
// steps before it, so a schedule is either wholly there or not at all.
import {
  existsSync,
  rmdirSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { conditionFailed, ParamsError } from '../errors/errors.js';
import { extractParams, validateParams, type Params } from '../params/index.js';
import { checkScheduleName, parseConf, renderConf, type ScheduleConf } from './conf.js';
import type { CalendarAnswer, Systemd } from './systemd.js';
import {
  PACKAGE_UNIT_DIRS,
  serviceOf,
  serviceUnit,
  TEMPLATE_SERVICE,
  TEMPLATE_TIMER,
  timerDropIn,
  timerOf,
  timerUnit,
} from './units.js';

export interface SchedulePaths {
  /** The parameter files (NAME.conf). */
  readonly dir: string;
  /** Drop-ins, and the template units when no package installed them (/etc/systemd/system). */
  readonly systemdDir: string;
  /** Where a package puts units; only looked at. Default PACKAGE_UNIT_DIRS. */
  readonly packageUnitDirs?: readonly string[];
}

export interface ScheduleDeps {
  readonly paths: SchedulePaths;
  readonly systemd: Systemd;
  /** How the template service starts the agent when schedule add writes it itself. */
  readonly agentCommand: string;
}

const confPath = (p: SchedulePaths, name: string) => join(p.dir, `${name}.conf`);
const dropInDir = (p: SchedulePaths, name: string) => join(p.systemdDir, `${timerOf(name)}.d`);

/** The agent's parameters of a schedule, checked as a run would check them. */
export function scheduleParams(words: readonly string[]): Params {
  const { params, rest } = extractParams(words);
  if (rest.length) throw new ParamsError(`not a run parameter: ${rest[0]}`);
  return validateParams(params);
}

/** Writes `text` whole or not at all (temporary file, renamed), private to root. */
function writePrivate(path: string, text: string, mode = 0o600): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

/** Writes `path`, and pushes the step that puts back what was there (or nothing). */
function replace(path: string, text: string, mode: number, undo: (() => void)[]): void {
  let before: string | undefined;
  try {
    before = readFileSync(path, 'utf8');
  } catch {
    before = undefined;
  }
  writePrivate(path, text, mode);
  undo.push(() => {
    if (before !== undefined) return writePrivate(path, before, mode);
    rmSync(path, { force: true });
    try {
      rmdirSync(dirname(path)); // a drop-in directory this add made; kept when not empty
    } catch {
      /* not empty, or not there */
    }
  });
}

export interface Added {
  readonly conf: ScheduleConf;
  readonly calendar: CalendarAnswer;
  /** The template units were written by us (no package had installed them). */
  readonly wroteUnits: boolean;
  /** systemd runs here and the timer is enabled and started. */
  readonly enabled: boolean;
}

export async function addSchedule(d: ScheduleDeps, conf: ScheduleConf): Promise<Added> {
  checkScheduleName(conf.name);
  scheduleParams(conf.params);
  const calendar = await d.systemd.calendar(conf.onCalendar);
  if (calendar.kind === 'invalid')
    throw new ParamsError(`--on-calendar ${JSON.stringify(conf.onCalendar)}: ${calendar.why}`);
  const running = await d.systemd.running();
  const undo: (() => void)[] = [];
  try {
    const wroteUnits = installUnits(d, undo);
    // Added again (to change it): a failure puts the old files back.
    replace(confPath(d.paths, conf.name), renderConf(conf), 0o600, undo);
    replace(
      join(dropInDir(d.paths, conf.name), 'schedule.conf'),
      timerDropIn(conf.onCalendar, conf.randomizedDelaySec),
      0o644,
      undo,
    );
    if (running) {
      await d.systemd.daemonReload();
      await d.systemd.enableAndStart(timerOf(conf.name));
      if (calendar.kind === 'unknown') await checkTakenBySystemd(d, conf);
    }
    return { conf, calendar, wroteUnits, enabled: running };
  } catch (e) {
    for (const step of undo.reverse()) step();
    if (running) await d.systemd.daemonReload().catch(() => undefined);
    throw e instanceof ParamsError
      ? e
      : conditionFailed(`schedule add ${conf.name}: ${(e as Error).message}`, e);
  }
}

/**
 * An old systemd (no `systemd-analyze calendar`) could not judge the spec before: the timer it
 * loaded is asked instead. A spec it could not parse leaves the timer without a calendar.
 */
async function checkTakenBySystemd(d: ScheduleDeps, conf: ScheduleConf): Promise<void> {
  const t = await d.systemd.timer(timerOf(conf.name));
  if (t.calendars.length) return;
  await d.systemd.stopAndDisable(timerOf(conf.name)).catch(() => undefined);
  throw new ParamsError(
    `--on-calendar ${JSON.stringify(conf.onCalendar)}: systemd did not take it (see journalctl -u ${timerOf(conf.name)})`,
  );
}

/** The template units: a package's, or ours in the systemd directory. */
function installUnits(d: ScheduleDeps, undo: (() => void)[]): boolean {
  const dirs = [d.paths.systemdDir, ...(d.paths.packageUnitDirs ?? PACKAGE_UNIT_DIRS)];
  const have = (unit: string) => dirs.some((dir) => existsSync(join(dir, unit)));
  if (have(TEMPLATE_SERVICE) && have(TEMPLATE_TIMER)) return false;
  for (const [unit, text] of [
    [TEMPLATE_SERVICE, serviceUnit(d.agentCommand)],
    [TEMPLATE_TIMER, timerUnit()],
  ] as const) {
    const path = join(d.paths.systemdDir, unit);
    if (existsSync(path)) continue;
    writePrivate(path, text, 0o644);
    undo.push(() => rmSync(path, { force: true }));
  }
  return true;
}

export function readSchedule(paths: SchedulePaths, name: string): ScheduleConf {
  checkScheduleName(name);
  let text: string;
  try {
    text = readFileSync(confPath(paths, name), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ParamsError(`no schedule ${name} (schedule list shows them)`);
    throw e;
  }
  return parseConf(name, text);
}

/** Every schedule's parameter file, by name; one that cannot be read is listed with why. */
export function listSchedules(
  paths: SchedulePaths,
): (ScheduleConf | { name: string; error: string })[] {
  let files: string[];
  try {
    files = readdirSync(paths.dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  return files
    .filter((f) => f.endsWith('.conf'))
    .sort()
    .map((f) => {
      const name = f.slice(0, -'.conf'.length);
      try {
        return readSchedule(paths, name);
      } catch (e) {
        return { name, error: (e as Error).message };
      }
    });
}

/** Stops and disables the timer, deletes its drop-in and its parameter file. */
export async function removeSchedule(d: ScheduleDeps, name: string): Promise<void> {
  readSchedule(d.paths, name);
  const running = await d.systemd.running();
  if (running) {
    await d.systemd.stopAndDisable(timerOf(name));
    // A run in progress is left to finish (stopping it would cut it short); a failed last run
    // would keep its service listed.
    await d.systemd.resetFailed(serviceOf(name));
  }
  rmSync(dropInDir(d.paths, name), { recursive: true, force: true });
  rmSync(confPath(d.paths, name), { force: true });
  if (running) await d.systemd.daemonReload();
}
