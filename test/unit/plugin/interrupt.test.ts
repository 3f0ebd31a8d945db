import { afterEach, describe, expect, it, vi } from 'vitest';
import { stopIfInterrupted, trapInterrupts } from '../../../src/plugin/interrupt.js';

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const counts = () => SIGNALS.map((s) => process.listenerCount(s));

describe('trapInterrupts (signals delivered with process.emit; process.kill stubbed)', () => {
  afterEach(() => vi.restoreAllMocks());

  it.each(SIGNALS)('the first %s aborts the run with its name, and kills nothing', (sig) => {
    const before = counts();
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const seen: string[] = [];
    const trap = trapInterrupts((s) => seen.push(s));
    expect(counts()).toEqual(before.map((n) => n + 1));
    process.emit(sig, sig);
    expect(trap.signal.aborted).toBe(true);
    expect(trap.signal.reason).toBe(sig);
    expect(seen).toEqual([sig]);
    expect(kill).not.toHaveBeenCalled();
    trap.release();
    expect(counts()).toEqual(before);
  });

  it('a second one ends the agent at once with that signal (its default action)', () => {
    const before = counts();
    const kill = vi.spyOn(process, 'kill').mockImplementation(() => true);
    const seen: string[] = [];
    const trap = trapInterrupts((s) => seen.push(s));
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGTERM', 'SIGTERM');
    expect(kill).toHaveBeenCalledWith(process.pid, 'SIGTERM');
    expect(seen).toEqual(['SIGINT']);
    expect(counts()).toEqual(before); // released first, so the signal is not caught again
    expect(trap.signal.reason).toBe('SIGINT');
  });
});

describe('stopIfInterrupted', () => {
  it('passes when not interrupted; otherwise exit 255 naming the signal and the step', () => {
    const c = new AbortController();
    expect(() => stopIfInterrupted(c.signal, 'the freeze')).not.toThrow();
    c.abort('SIGHUP');
    expect(() => stopIfInterrupted(c.signal, 'the freeze')).toThrow(
      expect.objectContaining({
        exitCode: 255,
        message: 'interrupted by SIGHUP before the freeze',
      }),
    );
  });
});
