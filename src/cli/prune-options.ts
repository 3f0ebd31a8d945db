// The prune options as yargs sees them (groups prune; later a run's and fleet's), restic's names.
import type { KeepOptions } from '../retention/options.js';

const count = (what: string) => ({
  type: 'string' as const,
  describe: `keep the newest group of each of the last N ${what}`,
});

export const PRUNE_OPTIONS = {
  'keep-last': { type: 'string' as const, describe: 'keep the N newest groups' },
  'keep-hourly': count('hours'),
  'keep-daily': count('days (UTC)'),
  'keep-weekly': count('ISO weeks'),
  'keep-monthly': count('months'),
  'keep-yearly': count('years'),
  'keep-within': {
    type: 'string' as const,
    describe: "keep every group made within this span of the name's newest (e.g. 1y6m, 30d, 2d12h)",
  },
  'keep-tag': {
    type: 'string' as const,
    array: true as const,
    describe: 'keep every group whose snapshots carry this tag (KEY=VALUE; repeatable)',
  },
  name: { type: 'string' as const, describe: 'only groups whose name matches this glob (* and ?)' },
  'dry-run': {
    type: 'boolean' as const,
    default: false,
    describe: 'print the plan (keep or remove, and why) and delete nothing',
  },
};

/** The keep options out of parsed argv (absent stays absent: no keep option is refused later). */
export function keepOptionsOf(a: Record<string, unknown>): KeepOptions & { name?: string } {
  const s = (k: string) => (a[k] === undefined ? {} : { [k]: String(a[k]) });
  const pick = (flag: string, field: keyof KeepOptions) =>
    a[flag] === undefined ? {} : { [field]: String(a[flag]) };
  return {
    ...pick('keep-last', 'keepLast'),
    ...pick('keep-hourly', 'keepHourly'),
    ...pick('keep-daily', 'keepDaily'),
    ...pick('keep-weekly', 'keepWeekly'),
    ...pick('keep-monthly', 'keepMonthly'),
    ...pick('keep-yearly', 'keepYearly'),
    ...pick('keep-within', 'keepWithin'),
    ...(Array.isArray(a['keep-tag']) ? { keepTag: (a['keep-tag'] as unknown[]).map(String) } : {}),
    ...s('name'),
  };
}
