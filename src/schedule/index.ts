export {
  addSchedule,
  listSchedules,
  readSchedule,
  removeSchedule,
  scheduleParams,
} from './schedules.js';
export type { SchedulePaths, ScheduleDeps, Added } from './schedules.js';
export { parseConf, renderConf, parseDelay, checkScheduleName, type ScheduleConf } from './conf.js';
export { realSystemd, type Systemd, type CalendarAnswer, type TimerState } from './systemd.js';
export {
  serviceUnit,
  timerUnit,
  timerOf,
  serviceOf,
  TEMPLATE_SERVICE,
  TEMPLATE_TIMER,
} from './units.js';
