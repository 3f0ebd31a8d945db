// Finding and running external tools the same way whatever the caller's environment.
import { describe, expect, it } from 'vitest';
import { canExec, findTool, toolEnv, withSystemPath } from '../../../src/system/tools.js';
import { script, tmp } from '../../support/tmp.js';

describe('canExec', () => {
  it('an executable file yes; a file without an execute bit, or none at all, no', () => {
    const dir = tmp();
    expect(canExec(script(dir, 'tool', '#!/bin/sh\n', 0o700))).toBe(true);
    expect(canExec(script(dir, 'data', '#!/bin/sh\n', 0o600))).toBe(false);
    expect(canExec(`${dir}/missing`)).toBe(false);
  });
});

describe('findTool', () => {
  it("the system's directories first, then the caller's absolute PATH entries", () => {
    const asked: string[] = [];
    const only = (hit: string) => (p: string) => (asked.push(p), p === hit);
    expect(findTool('t', { PATH: 'rel:/opt/bin' }, only('/opt/bin/t'))).toBe('/opt/bin/t');
    expect(asked).toEqual([
      '/usr/sbin/t',
      '/usr/bin/t',
      '/sbin/t',
      '/bin/t',
      '/usr/local/sbin/t',
      '/usr/local/bin/t',
      '/opt/bin/t', // 'rel' is not absolute: never asked
    ]);
    expect(findTool('t', { PATH: '/opt/bin' }, only('/usr/bin/t'))).toBe('/usr/bin/t');
    expect(findTool('t', {}, () => false)).toBeUndefined();
  });

  it('by default, only a file it may execute', () => {
    const dir = tmp();
    script(dir, 'asp-no-such-tool', '#!/bin/sh\n', 0o600);
    expect(findTool('asp-no-such-tool', { PATH: dir })).toBeUndefined();
    script(dir, 'asp-tool', '#!/bin/sh\n', 0o700);
    expect(findTool('asp-tool', { PATH: dir })).toBe(`${dir}/asp-tool`);
  });
});

describe('the environment of a tool', () => {
  it('PATH gains the system directories it lacks, in order, after its own', () => {
    expect(withSystemPath({ PATH: '/opt/bin:/usr/bin' }).PATH).toBe(
      '/opt/bin:/usr/bin:/usr/sbin:/sbin:/bin:/usr/local/sbin:/usr/local/bin',
    );
  });

  it('messages in English whatever the caller speaks', () => {
    const env = toolEnv({ LANG: 'zh_CN.UTF-8', LANGUAGE: 'zh_CN', LC_ALL: 'zh_CN.UTF-8', X: '1' });
    expect(env).toMatchObject({ LANG: 'C', LC_ALL: 'C', X: '1' });
    expect(env.LANGUAGE).toBeUndefined();
  });
});
