import { describe, expect, it } from 'vitest';
import { EXIT, EXIT_CODES, exitCodeName } from '../../../src/errors/exit-codes.js';
import { AgentError, ParamsError } from '../../../src/errors/errors.js';
import { exitCodeFor, describeError, stackOf } from '../../../src/errors/exit-code-for.js';

describe('exit-code table', () => {
  it("covers the vendor's 0-16 and 255, each once, and our 17 (-RetentionDays) and 18 (rollback --remount)", () => {
    expect(EXIT_CODES.map((e) => e.code)).toEqual([...Array(19).keys(), 255]);
    expect(EXIT.RetentionFailed).toBe(17);
    expect(EXIT.FilesystemBusy).toBe(18);
    expect(new Set(EXIT_CODES.map((e) => e.name)).size).toBe(EXIT_CODES.length);
    expect(EXIT.PreScriptFailed).toBe(9);
    expect(EXIT.SnapshotInProgress).toBe(16);
    expect(exitCodeName(14)).toBe('SnapshotQuotaExceeded');
  });
});

describe('exitCodeFor', () => {
  it('uses the primary failure', () => {
    expect(
      exitCodeFor(new AgentError('CreateGroupFailed', 'x'), [
        new AgentError('PostScriptFailed', 'y'),
      ]),
    ).toBe(4);
    expect(exitCodeFor(new ParamsError('bad'))).toBe(2);
  });
  it('lets a thaw failure anywhere win', () => {
    expect(
      exitCodeFor(new AgentError('CreateGroupFailed', 'x'), [new AgentError('ThawFailed', 'y')]),
    ).toBe(12);
  });
  it('maps the unexpected to 255 and nothing to 0', () => {
    expect(exitCodeFor(new TypeError('boom'))).toBe(255);
    expect(exitCodeFor(undefined)).toBe(0);
    expect(describeError(new TypeError('boom'))).toBe('unexpected error: TypeError: boom');
    expect(stackOf(new TypeError('boom'))).toMatch(/^\s+at /);
    // A thrown non-Error says what it was; a stack keeps its frames one per line.
    expect(describeError('a string')).toBe('unexpected error: a string');
    const e = new Error('deep');
    e.stack = [
      'Error: deep',
      ...Array.from({ length: 9 }, (_, k) => `    at f${k} (x.js:${k})`),
    ].join('\n');
    expect(stackOf(e)).toBe(
      Array.from({ length: 7 }, (_, k) => `    at f${k} (x.js:${k})`).join('\n'),
    );
    expect(stackOf(new AgentError('TagFailed', 'x'))).toBeUndefined();
  });
});
