import { describe, expect, it } from 'vitest';
import { parseSize } from '../../../src/lab/size.js';

describe('parseSize', () => {
  it.each([
    ['512M', 512 * 2 ** 20],
    ['1G', 2 ** 30],
    ['300m', 300 * 2 ** 20],
    ['64MiB', 64 * 2 ** 20],
    ['4096', 4096],
  ])('%s', (text, bytes) => expect(parseSize(text)).toBe(bytes));
  it('rejects nonsense with exit 2', () => {
    expect(() => parseSize('big')).toThrow(expect.objectContaining({ exitCode: 2 }));
  });
});
