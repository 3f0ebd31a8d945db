import { describe, expect, it } from 'vitest';
import { launchFor } from '../../../src/scripts/shebang.js';

const launch = (text: string | Buffer) =>
  launchFor(Buffer.isBuffer(text) ? text : Buffer.from(text), '/run/x/prescript', '/bin/bash');

describe('launchFor: the way the kernel starts a #! script', () => {
  it('runs the interpreter with the copy as its argument', () => {
    expect(launch('#!/bin/bash\necho hi\n')).toEqual({
      ok: true,
      file: '/bin/bash',
      args: ['/run/x/prescript'],
    });
  });
  it('passes everything after the interpreter as ONE argument, trimmed, like Linux', () => {
    expect(launch('#! /usr/bin/env python3\n')).toEqual({
      ok: true,
      file: '/usr/bin/env',
      args: ['python3', '/run/x/prescript'],
    });
    expect(launch('#!/bin/bash  -e -x \t\nset\n')).toEqual({
      ok: true,
      file: '/bin/bash',
      args: ['-e -x', '/run/x/prescript'],
    });
  });
  it('runs a script without #! with the fallback shell', () => {
    expect(launch('echo hi\n')).toEqual({
      ok: true,
      file: '/bin/bash',
      args: ['/run/x/prescript'],
    });
    expect(launch('')).toEqual({ ok: true, file: '/bin/bash', args: ['/run/x/prescript'] });
  });
  it('takes a #! line without a newline (a one-line file)', () => {
    expect(launch('#!/bin/true')).toEqual({
      ok: true,
      file: '/bin/true',
      args: ['/run/x/prescript'],
    });
  });
  it('refuses what the kernel would not run, saying why', () => {
    expect(launch('#!\n')).toEqual({ ok: false, reason: 'its #! line names no interpreter' });
    expect(launch('#!bash\n')).toEqual({
      ok: false,
      reason: 'its #! interpreter "bash" is not an absolute path',
    });
    expect(launch('#!/bin/bash\r\necho\r\n')).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/carriage return \(DOS line endings\)/),
    });
    expect(launch(`#!/bin/${'x'.repeat(300)}`)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/longer than 256 bytes/),
    });
  });
});
