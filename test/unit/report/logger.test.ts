import { describe, expect, it } from 'vitest';
import { RunLog } from '../../../src/report/logger.js';

describe('RunLog', () => {
  it('writes each line at once, in order', () => {
    const out: string[] = [];
    const log = new RunLog((t) => out.push(t));
    log.info('one');
    log.warn('two');
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^\[level="info"\]\[time="[^"]+"\]\[message="one"\]\n$/);
    expect(out[1]).toMatch(/\[level="warn"\].*\[message="two"\]/);
  });
  it('holds lines in memory while frozen and flushes them on release', () => {
    const out: string[] = [];
    const log = new RunLog((t) => out.push(t));
    log.info('before');
    log.hold();
    log.info('frozen 1');
    log.output('script says hi');
    expect(out).toHaveLength(1);
    expect(log.isHeld).toBe(true);
    log.release();
    expect(out).toHaveLength(2);
    expect(out[1]).toMatch(/frozen 1.*\n\[output="\nscript says hi\n"\]\n$/s);
    expect(log.lines).toHaveLength(3);
  });
});
