import { describe, expect, it } from 'vitest';
import { anyKeepOption, parseKeepOptions, parseSpan } from '../../../src/retention/options.js';

describe('the keep options', () => {
  it('every option, restic-style', () => {
    expect(
      parseKeepOptions({
        keepLast: '3',
        keepHourly: '24',
        keepDaily: '7',
        keepWeekly: '4',
        keepMonthly: '12',
        keepYearly: '2',
        keepWithin: '1y6m',
        keepTag: ['keep=forever', 'a=b=c'],
      }),
    ).toEqual({
      last: 3,
      hourly: 24,
      daily: 7,
      weekly: 4,
      monthly: 12,
      yearly: 2,
      within: { years: 1, months: 6, days: 0, hours: 0 },
      tags: [
        { key: 'keep', value: 'forever' },
        { key: 'a', value: 'b=c' },
      ],
    });
    expect(parseSpan('2d12h')).toEqual({ years: 0, months: 0, days: 2, hours: 12 });
  });

  it('bad input is exit 2 with one line naming the option', () => {
    const bad = (o: Parameters<typeof parseKeepOptions>[0], re: RegExp) => {
      let e: unknown;
      try {
        parseKeepOptions(o);
      } catch (x) {
        e = x;
      }
      expect(e).toMatchObject({ exitCode: 2, message: expect.stringMatching(re) });
      expect((e as Error).message).not.toContain('\n');
    };
    bad({ keepDaily: '-1' }, /^--keep-daily must be a whole number from 1 .* got '-1'$/);
    bad({ keepLast: '0' }, /^--keep-last must be/);
    bad({ keepLast: '1.5' }, /^--keep-last must be/);
    bad({ keepWithin: '3x' }, /^--keep-within must be a span .* got '3x'$/);
    bad({ keepWithin: '' }, /^--keep-within must be a span/);
    bad({ keepWithin: 'd3' }, /^--keep-within must be a span/);
    bad({ keepTag: ['novalue'] }, /^--keep-tag must be KEY=VALUE, got 'novalue'$/);
    bad({ keepTag: ['=v'] }, /^--keep-tag must be KEY=VALUE/);
    bad({}, /^prune needs at least one keep option .*never removes every group$/);
    bad({ keepYearly: '1000001' }, /^--keep-yearly must be a whole number from 1 to 1000000/);
  });

  it('names the option at fault (the parameter the error carries), and takes the largest counts and spans', () => {
    const param = (o: Parameters<typeof parseKeepOptions>[0]) => {
      try {
        parseKeepOptions(o);
      } catch (e) {
        return (e as { parameter?: string }).parameter;
      }
      return 'accepted';
    };
    expect(param({ keepWithin: '3x' })).toBe('--keep-within');
    expect(param({ keepTag: ['novalue'] })).toBe('--keep-tag');
    expect(param({ keepHourly: '0' })).toBe('--keep-hourly');
    expect(param({})).toBe('--keep-last');
    expect(param({ keepLast: '1000000' })).toBe('accepted');
    expect(param({ keepLast: ' 7 ' })).toBe('accepted');
    expect(parseSpan('10y11m30d23h')).toEqual({ years: 10, months: 11, days: 30, hours: 23 });
    expect(parseSpan(' 30d ')).toEqual({ years: 0, months: 0, days: 30, hours: 0 });
    expect(() => parseSpan('   ')).toThrow(/--keep-within must be a span/);
  });

  it('says whether any keep option was given', () => {
    expect(anyKeepOption({})).toBe(false);
    expect(anyKeepOption({ keepTag: [] })).toBe(false);
    expect(anyKeepOption({ keepYearly: '1' })).toBe(true);
    expect(anyKeepOption({ keepWithin: '1d' })).toBe(true);
    expect(anyKeepOption({ keepTag: ['a=b'] })).toBe(true);
  });
});
