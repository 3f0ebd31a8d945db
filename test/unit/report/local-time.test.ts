import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  fixedOffsetMinutes,
  posixFixedOffset,
  tzifFixedOffset,
} from '../../../src/report/local-time.js';
import { vendorTime } from '../../../src/report/log-format.js';

const zone = (name: string) => readFileSync(`/usr/share/zoneinfo/${name}`);
const NOW_S = Date.parse('2026-12-07T09:00:00Z') / 1000;

describe('posixFixedOffset', () => {
  it.each([
    ['CST-8', 480],
    ['UTC0', 0],
    ['<+0530>-5:30', 330],
    ['<+0545>-5:45', 345],
    ['<-03>3', -180],
  ])('%s is %i minutes east', (tz, min) => expect(posixFixedOffset(tz)).toBe(min));
  it.each(['EST5EDT,M3.2.0,M11.1.0', 'PST8PDT', 'CET-1CEST,M3.5.0,M10.5.0/3', '', 'garbage'])(
    '%j has a DST rule or is not one: undefined',
    (tz) => expect(posixFixedOffset(tz)).toBeUndefined(),
  );
});

describe('tzifFixedOffset (the system zone files)', () => {
  it.each([
    ['Etc/UTC', 0],
    ['Asia/Shanghai', 480],
    ['Asia/Kolkata', 330],
    ['Asia/Kathmandu', 345],
    ['America/Sao_Paulo', -180],
  ])('%s: %i', (name, min) => expect(tzifFixedOffset(zone(name), NOW_S)).toBe(min));
  it.each(['America/New_York', 'Europe/Berlin', 'Australia/Sydney'])(
    '%s keeps daylight saving: undefined (Date is used)',
    (name) => expect(tzifFixedOffset(zone(name), NOW_S)).toBeUndefined(),
  );
  it('a time with transitions still ahead (Shanghai in 1988, when it had DST): undefined', () => {
    expect(
      tzifFixedOffset(zone('Asia/Shanghai'), Date.parse('1988-01-01T00:00:00Z') / 1000),
    ).toBeUndefined();
  });
  it('not a zone file: undefined', () => {
    expect(
      tzifFixedOffset(
        Buffer.from('not a zone file at all, long enough to have a header.....'),
        NOW_S,
      ),
    ).toBeUndefined();
  });
});

describe('fixedOffsetMinutes', () => {
  it('TZ as a zone name (with or without ":"), as a POSIX string, or a zone that is not there', () => {
    expect(fixedOffsetMinutes({ TZ: ':Asia/Shanghai' }, NOW_S)).toBe(480);
    expect(fixedOffsetMinutes({ TZ: 'Asia/Kolkata' }, NOW_S)).toBe(330);
    expect(fixedOffsetMinutes({ TZ: 'CST-8' }, NOW_S)).toBe(480);
    expect(fixedOffsetMinutes({ TZ: 'Nowhere/Zone' }, NOW_S)).toBeUndefined();
    const read = (p: string) => (p === '/etc/localtime' ? zone('Asia/Shanghai') : Buffer.alloc(0));
    expect(fixedOffsetMinutes({}, NOW_S, read)).toBe(480);
  });

  // The property that matters: the log's time is the local time Date gives, in every fixed zone
  // (a zone with DST is Date's own: undefined above).
  it.each(['Etc/UTC', 'Asia/Shanghai', 'Asia/Kathmandu', 'America/Sao_Paulo', 'Etc/GMT+5'])(
    'in %s the log says what Date says',
    (tz) => {
      const at = Date.parse('2026-07-01T23:59:58.123Z') + 0.456789;
      const viaDate = spawnSync(
        process.execPath,
        [
          '-e',
          `const d=new Date(${Math.floor(at)});const p=(n,w=2)=>String(n).padStart(w,'0');process.stdout.write(d.getFullYear()+'-'+p(d.getMonth()+1)+'-'+p(d.getDate())+' '+p(d.getHours())+':'+p(d.getMinutes())+':'+p(d.getSeconds())+'.'+p(d.getMilliseconds(),3))`,
        ],
        { env: { TZ: tz }, encoding: 'utf8' },
      ).stdout;
      const ours = vendorTime(at, fixedOffsetMinutes({ TZ: tz }, at / 1000));
      expect(ours.slice(0, 23)).toBe(viaDate);
      expect(ours.slice(23)).toMatch(/^45678\d$/); // a double keeps the sub-millisecond to ~0.2 µs
    },
  );
});
