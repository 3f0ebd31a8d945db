import { describe, expect, it } from 'vitest';
import { ShlexError, shlexSplit, splitPluginParams } from '../../../src/params/shlex.js';
import { DOCUMENTED_ARGV, DOCUMENTED_PARAMS } from '../../fixtures/documented.js';

describe('shlexSplit', () => {
  it('splits on whitespace and honours quotes and escapes', () => {
    expect(shlexSplit(`a  b\t"c d" 'e "f"' g\\ h "i\\"j"`)).toEqual([
      'a',
      'b',
      'c d',
      'e "f"',
      'g h',
      'i"j',
    ]);
  });
  it('joins quoted and unquoted parts of one word', () => {
    expect(shlexSplit(`-Name="my snap"x`)).toEqual(['-Name=my snapx']);
  });
  it('treats # at the start of a word as a comment, inside a word as text', () => {
    expect(shlexSplit('a#b #c d\ne')).toEqual(['a#b', 'e']);
  });
  it('keeps empty quoted words', () => {
    expect(shlexSplit(`-ExcludeDiskId="" x`)).toEqual(['-ExcludeDiskId=', 'x']);
  });
  it('rejects unterminated quotes, or keeps the words so far as the plugin manager does', () => {
    expect(() => shlexSplit(`"abc`)).toThrow(ShlexError);
    expect(() => shlexSplit(`'abc`)).toThrow(ShlexError);
    expect(shlexSplit(`-Name=x -Description="open`, true)).toEqual(['-Name=x']);
  });
});

describe('splitPluginParams', () => {
  it('splits the documented RunCommand --params string into the 9 words the plugin receives', () => {
    // The shell has already removed the outer quoting here; the plugin manager splits the rest.
    expect(splitPluginParams(DOCUMENTED_PARAMS)).toEqual(DOCUMENTED_ARGV);
  });
  it('turns every comma into a word break, even inside quotes', () => {
    expect(splitPluginParams('-ExcludeDiskId=d-1,d-2,-Name="a,b"')).toEqual([
      '-ExcludeDiskId=d-1',
      'd-2',
      '-Name=a b',
    ]);
  });
});
