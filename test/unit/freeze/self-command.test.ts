import { describe, expect, it } from 'vitest';
import { isSea, looksLikeSnapshot, selfCommand } from '../../../src/freeze/self-command.js';

describe('isSea: is this program a single executable?', () => {
  const node = process.versions;
  const bun = { ...process.versions, bun: '1.2.0' };
  const sea = (answer: boolean) => () => ({ isSea: () => answer });

  it("Bun: when its script is embedded in Bun's /$bunfs/", () => {
    const nodeSea = () => {
      throw new Error('not asked under Bun');
    };
    expect(isSea({ versions: bun, script: '/$bunfs/root/app-snapshot-plugin', nodeSea })).toBe(
      true,
    );
    expect(isSea({ versions: bun, script: '/opt/asp/dist/main.js', nodeSea })).toBe(false);
    expect(isSea({ versions: bun, script: undefined, nodeSea })).toBe(false);
  });

  it('Node: what node:sea says, and no when there is no node:sea', () => {
    expect(isSea({ versions: node, script: '/x', nodeSea: sea(true) })).toBe(true);
    expect(isSea({ versions: node, script: '/x', nodeSea: sea(false) })).toBe(false);
    const old = () => {
      throw Object.assign(new Error('No such built-in module: node:sea'), {
        code: 'ERR_UNKNOWN_BUILTIN_MODULE',
      });
    };
    expect(isSea({ versions: node, script: '/x', nodeSea: old })).toBe(false);
  });

  it('this test run is no single executable', () => {
    expect(isSea()).toBe(false);
  });
});

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
      'schedule',
      'status',
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
