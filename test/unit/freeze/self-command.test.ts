import { describe, expect, it } from 'vitest';
import { looksLikeSnapshot, selfCommand } from '../../../src/freeze/self-command.js';

describe('self command', () => {
  it('starts the watchdog through this script, or the single executable itself', () => {
    expect(selfCommand(false)).toEqual({
      file: process.execPath,
      args: [...process.execArgv, process.argv[1], '__watchdog'],
    });
    expect(selfCommand(true)).toEqual({ file: process.execPath, args: ['__watchdog'] });
  });
  it('guesses snapshot runs (the watchdog is started at launch for them)', () => {
    expect(looksLikeSnapshot(['-Name=x'])).toBe(true);
    expect(looksLikeSnapshot(['--params=-Name=x,-EnableFsFreeze=true'])).toBe(true);
    expect(looksLikeSnapshot(['-Name=x', '-EnableFsFreeze=false'])).toBe(false);
    expect(looksLikeSnapshot(['--params=-Name=x,-EnableFsFreeze=false'])).toBe(false);
    const others = [
      'check',
      'thaw',
      'groups',
      'lab',
      'decode',
      'fleet',
      'cluster',
      '--help',
      '-h',
      '--version',
    ];
    for (const cmd of others) {
      expect(looksLikeSnapshot([cmd]), cmd).toBe(false);
      // anywhere in argv, with other words around it
      expect(looksLikeSnapshot(['--output', 'json', cmd, '-Name=x']), cmd).toBe(false);
    }
    expect(looksLikeSnapshot(['-Name=check-db'])).toBe(true); // a word, not a substring
  });
});
