// The snapshot run without the command parser: only argv made of parameters and --output takes
// it, with the same parameters the full parser would have given the run; everything else is
// left to the full parser (which reports errors as always).
import { describe, expect, it } from 'vitest';
import { snapshotWords } from '../../../src/cli/fast-snapshot.js';
import { validateParams, extractParams } from '../../../src/params/index.js';

const full = (argv: string[]) => validateParams(extractParams(argv).params);

describe('snapshotWords', () => {
  it('takes Go-flag, long-flag and --params words, with the params the full parse gives', () => {
    const cases = [
      ['-Name=nightly', '-Engine=local', '-Pool=/p'],
      ['--name', 'nightly', '--engine=local', '--pool', '/p'],
      ['--params=-Name=nightly,-Engine=local,-Pool=/p'],
    ];
    for (const argv of cases) {
      const w = snapshotWords(argv);
      expect(w?.output).toBe('text');
      expect(w?.params).toEqual(full(argv));
      expect(w?.params.name).toBe('nightly');
    }
  });

  it('reads --output in both forms; the last one wins', () => {
    expect(snapshotWords(['-Name=ab', '--output', 'json'])?.output).toBe('json');
    expect(snapshotWords(['-Name=ab', '--output=invocation'])?.output).toBe('invocation');
    expect(snapshotWords(['-Name=ab', '--output=json', '--output', 'text'])?.output).toBe('text');
  });

  it('leaves everything else to the full parser: commands, help, unknown words, bad values, bad parameters', () => {
    for (const argv of [
      [],
      ['check', '-Name=ab'],
      ['groups', 'list'],
      ['-Name=ab', '--help'],
      ['-Name=ab', '--version'],
      ['-Name=ab', '--output'],
      ['-Name=ab', '--output=xml'],
      ['-Name=ab', '--verbose'],
      ['-Name=ab', 'stray'],
      ['-Name=ab', '-TimeoutInSeconds=lots'],
      ['-Nmae=ab'],
      ['--params'],
      ['-Name=ab', '--', '-x'],
    ])
      expect(snapshotWords(argv), argv.join(' ')).toBeUndefined();
  });
});
