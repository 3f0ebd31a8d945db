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

describe('launchFor: the edges of the #! line', () => {
  it('blanks between #! and the interpreter, and between it and its argument, are skipped', () => {
    expect(launch('#!  \t/bin/bash   \t-eu\n')).toEqual({
      ok: true,
      file: '/bin/bash',
      args: ['-eu', '/run/x/prescript'],
    });
  });

  it('a first line of exactly 256 bytes without a newline is still read; an empty one names nothing', () => {
    const line = `#!/bin/sh${' '.repeat(256 - 9)}`;
    expect(Buffer.byteLength(line)).toBe(256);
    expect(launch(line)).toEqual({ ok: true, file: '/bin/sh', args: ['/run/x/prescript'] });
    expect(launch(`#!\n${'x'.repeat(300)}`)).toEqual({
      ok: false,
      reason: 'its #! line names no interpreter',
    });
  });

  it('a DOS line ending is named, with the interpreter as it reads', () => {
    expect(launch('#!/bin/sh\r\necho\r\n')).toEqual({
      ok: false,
      reason:
        'its #! line ends with a carriage return (DOS line endings): the interpreter "/bin/sh\\r" does not exist',
    });
    // only the final one is the line ending (an inner one is part of the name)
    expect(launch('#!/opt/a\rb\r\n')).toMatchObject({
      reason: expect.stringContaining('the interpreter "/opt/a\rb\\r" does not exist'),
    });
  });
});
