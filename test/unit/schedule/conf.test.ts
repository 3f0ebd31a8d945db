import { describe, expect, it } from 'vitest';
import { parseConf, parseDelay, renderConf } from '../../../src/schedule/index.js';

describe('schedule parameter file', () => {
  it('round-trips, words with spaces and "=" included, no quoting', () => {
    const conf = {
      name: 'n',
      onCalendar: 'Mon..Fri *-*-* 22:30:00',
      randomizedDelaySec: 90,
      params: ['-Name=n', '-Description=nightly before the batch = ok', '-KeepLast=3'],
    };
    expect(parseConf('n', renderConf(conf))).toEqual(conf);
  });
  it('refuses what it does not understand, and a file without a calendar', () => {
    expect(() => parseConf('n', 'on-calendar=daily\nsomething\n')).toThrow(/line 2/);
    expect(() => parseConf('n', '-Name=n\n')).toThrow(/no on-calendar/);
  });
});

describe('parseDelay', () => {
  it.each([
    ['30', 30],
    ['90s', 90],
    ['10m', 600],
    ['2h', 7200],
    ['1h30m', 5400],
    ['5min', 300],
  ])('%s is %i s', (text, s) => expect(parseDelay(text)).toBe(s));
  it.each(['', 'm', '10x', '-5', '1.5h'])('%j is refused (exit 2)', (text) =>
    expect(() => parseDelay(text)).toThrow(expect.objectContaining({ exitCode: 2 })),
  );
});
