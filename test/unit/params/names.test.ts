import { describe, expect, it } from 'vitest';
import { checkDescription, checkSnapshotName } from '../../../src/params/names.js';

describe('snapshot name rules (exit 1)', () => {
  it.each(['LinuxApp1', 'ab', 'db:prod_2024.01-a', '快照组1', 'x'.repeat(128)])(
    'accepts %s',
    (n) => {
      expect(() => checkSnapshotName(n)).not.toThrow();
    },
  );
  it.each([
    ['a', /2-128/],
    ['x'.repeat(129), /2-128/],
    ['1abc', /start with a letter/],
    ['http://x', /http/],
    ['https://x', /http/],
    ['a b', /only letters/],
    ['a/b', /only letters/],
  ])('rejects %s', (n, re) => {
    let code = 0;
    try {
      checkSnapshotName(n);
    } catch (e) {
      code = (e as { exitCode: number }).exitCode;
      expect(String(e)).toMatch(re);
    }
    expect(code).toBe(1);
  });
  it('limits descriptions', () => {
    expect(() => checkDescription('x'.repeat(256))).not.toThrow();
    expect(() => checkDescription('x'.repeat(257))).toThrow(/2-256/);
    expect(() => checkDescription('x')).toThrow(/2-256 characters, got 1/);
    expect(() => checkDescription('')).not.toThrow();
  });
});
