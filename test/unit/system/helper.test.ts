// The watchdog's pipe pair under Node (src/system/helper.ts), and the line feed both forms use.
import { describe, expect, it } from 'vitest';
import { spawnHelper } from '../../../src/system/helper.js';
import { LineFeed } from '../../../src/system/lines.js';
import { describeHelperContract } from '../../contract/helper-contract.js';

describeHelperContract('spawnHelper (node:child_process)', spawnHelper);

describe('LineFeed', () => {
  it('splits across chunks, keeps lines until a listener comes (given after its call, in order), and has one listener', async () => {
    const f = new LineFeed();
    f.push('a\nb');
    f.push('c\n\nd\r');
    const got: string[] = [];
    f.listen((l) => got.push(l));
    expect(got).toEqual([]); // not inside listen(): the caller has not said what it waits for
    f.push('\ne');
    await Promise.resolve();
    expect(got).toEqual(['a', 'bc', '', 'd']);
    f.end();
    expect(got).toEqual(['a', 'bc', '', 'd', 'e']);
    f.end();
    expect(got).toHaveLength(5);
    expect(() => f.listen(() => undefined)).toThrow(/one listener/);
  });
});
