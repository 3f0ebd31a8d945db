import { describe, expect, it } from 'vitest';
import {
  formatLine,
  formatOutput,
  goDuration,
  vendorTime,
} from '../../../src/report/log-format.js';

describe('vendor log format', () => {
  it('formats lines like the vendor plugin, group id before the message', () => {
    expect(
      formatLine({ level: 'info', time: 'T', message: 'Execute PostScript Successfully' }),
    ).toBe('[level="info"][time="T"][message="Execute PostScript Successfully"]');
    expect(formatLine({ level: 'info', time: 'T', snapshotgroup: 'ssg-1', message: 'done' })).toBe(
      '[level="info"][time="T"][snapshotgroup="ssg-1"] [message="done"]',
    );
  });
  it('writes local time with nine fractional digits', () => {
    expect(vendorTime(new Date(2021, 7, 3, 18, 58, 44, 410).getTime() + 0.140607)).toMatch(
      /^2021-08-03 18:58:44\.410140\d{3}$/,
    );
  });
  it('embeds script output in an [output="..."] block', () => {
    expect(formatOutput('a\nb')).toBe('[output="\na\nb\n"]');
  });
  it('prints durations like Go', () => {
    expect(goDuration(1031.426913)).toBe('1.031426913s');
    expect(goDuration(20.807753)).toBe('20.807753ms');
    expect(goDuration(0.85)).toBe('850µs');
    expect(goDuration(0)).toBe('0s');
    expect(goDuration(61_500)).toBe('1m1.5s');
  });
});
