import { describe, expect, it } from 'vitest';
import { extractParams } from '../../../src/params/words.js';
import { ParamsError } from '../../../src/errors/errors.js';

const pairs = (words: string[]) => extractParams(words).params.map((p) => [p.spec.name, p.value]);

describe('extractParams', () => {
  it('reads Go-flag words as the plugin manager passes them', () => {
    expect(
      pairs(['-Name=x', '-EnableFsFreeze=false', '-ExcludeDiskId=', '-TimeoutInSeconds', '20']),
    ).toEqual([
      ['Name', 'x'],
      ['EnableFsFreeze', 'false'],
      ['ExcludeDiskId', ''],
      ['TimeoutInSeconds', '20'],
    ]);
  });
  it('reads long flags and double-dash Go flags', () => {
    expect(pairs(['--name', 'x', '--pre-script-path=/p', '--TimeoutInSeconds=5'])).toEqual([
      ['Name', 'x'],
      ['PreScriptPath', '/p'],
      ['TimeoutInSeconds', '5'],
    ]);
  });
  it('takes a bare boolean flag as true', () => {
    expect(pairs(['-InstantAccess', '-Name=x'])).toEqual([
      ['InstantAccess', 'true'],
      ['Name', 'x'],
    ]);
  });
  it('expands one --params string the plugin manager way', () => {
    expect(pairs(['--params=-Name="a b",-InstantAccess=true'])).toEqual([
      ['Name', 'a b'],
      ['InstantAccess', 'true'],
    ]);
    expect(pairs(['--params', '-Name=y'])).toEqual([['Name', 'y']]);
  });
  it('rejoins a comma list that the plugin manager split into words', () => {
    expect(pairs(['-ExcludeDiskId=d-1', 'd-2', '-Name=x'])).toEqual([
      ['ExcludeDiskId', 'd-1,d-2'],
      ['Name', 'x'],
    ]);
  });
  it('accepts the vendor docs typo InstantAccessRentalDays as an alias', () => {
    expect(pairs(['-InstantAccessRentalDays=3'])).toEqual([['InstantAccessRetentionDays', '3']]);
  });
  it('leaves unknown flags and commands to the command-line parser', () => {
    const r = extractParams(['check', '-Bogus=1', '--output', 'json', '-Name=x']);
    expect(r.rest).toEqual(['check', '-Bogus=1', '--output', 'json']);
  });
  it('fails on a value-taking flag without a value and on bad --params quoting', () => {
    expect(() => extractParams(['-Name'])).toThrow(ParamsError);
    expect(() => extractParams(['--params=-Name="x'])).toThrow(/unterminated/);
    expect(() => extractParams(['--params=-Name=x,stray'])).toThrow(/stray/);
  });
});
