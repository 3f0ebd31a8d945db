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
    for (const cmd of ['check', 'thaw', 'groups', 'lab', 'decode', '--help', '--version'])
      expect(looksLikeSnapshot([cmd])).toBe(false);
  });
});
