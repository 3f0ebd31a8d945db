import { execFileSync } from 'node:child_process';
import { chownSync, linkSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkScript, MAX_SCRIPT_BYTES } from '../../../src/scripts/check.js';
import { script, tmp } from '../../support/tmp.js';

// The owner rule is "root"; tests run as any user, so they ask for their own uid.
const me = process.getuid!();
const reason = (path: string) => {
  const c = checkScript(path, me);
  return c.ok ? 'ok' : c.reason;
};

describe('checkScript', () => {
  it('accepts a regular 0700 file of the owner and returns the bytes it checked', () => {
    const p = script(tmp(), 'pre.sh', 'echo hi\n');
    const c = checkScript(p, me);
    expect(c.ok && c.content.toString()).toBe('echo hi\n');
  });
  it('refuses a missing file, a symlink, a directory, a FIFO, hard links, wrong mode or owner', () => {
    const d = tmp();
    const good = script(d, 'good.sh', 'true\n');
    expect(reason(join(d, 'nope.sh'))).toMatch(/does not exist/);
    symlinkSync(good, join(d, 'link.sh'));
    expect(reason(join(d, 'link.sh'))).toMatch(/symbolic link/);
    mkdirSync(join(d, 'dir.sh'));
    expect(reason(join(d, 'dir.sh'))).toMatch(/not a regular file/);
    execFileSync('mkfifo', ['-m', '0700', join(d, 'fifo.sh')]);
    expect(reason(join(d, 'fifo.sh'))).toMatch(/not a regular file/);
    expect(reason(script(d, 'wide.sh', 'true\n', 0o755))).toMatch(/mode is 0755, not 0700/);
    const twice = script(d, 'twice.sh', 'true\n');
    linkSync(twice, join(d, 'twice2.sh'));
    expect(reason(twice)).toMatch(/2 hard links/);
    expect(checkScript(good, me + 1).ok).toBe(false);
    expect(reason('relative.sh')).toMatch(/absolute/);
  });

  it('says whose the file is and whose it should be', () => {
    const good = script(tmp(), 'good.sh', 'true\n');
    const as = (owner: number) => {
      const c = checkScript(good, owner);
      return c.ok ? 'ok' : c.reason;
    };
    expect(as(me + 1)).toBe(`it is owned by uid ${me}, not uid ${me + 1}`);
    if (me !== 0) expect(as(0)).toBe(`it is owned by uid ${me}, not root`);
    else expect(as(1)).toBe('it is owned by uid 0, not uid 1');
  });

  it('takes a script of exactly 1 MiB whole, and refuses one byte more', () => {
    const d = tmp();
    const body = `${'#'.repeat(MAX_SCRIPT_BYTES - 1)}\n`;
    const c = checkScript(script(d, 'big.sh', body), me);
    expect(c.ok && c.content.length).toBe(MAX_SCRIPT_BYTES);
    expect(c.ok && c.content.toString() === body).toBe(true);
    expect(reason(script(d, 'bigger.sh', `${body}x`))).toBe(
      `it is larger than ${MAX_SCRIPT_BYTES} bytes`,
    );
    // An empty script is a script (it does nothing): accepted, with nothing in it.
    const empty = checkScript(script(d, 'empty.sh', ''), me);
    expect(empty.ok && empty.content.length).toBe(0);
  });
});

describe('checkScript: exact reasons and no leak', () => {
  it('a symbolic link and a path through a file are named for what they are', () => {
    const d = tmp();
    const good = script(d, 'good.sh', 'true\n');
    symlinkSync(good, join(d, 'link.sh'));
    expect(reason(join(d, 'link.sh'))).toBe('the path is a symbolic link');
    expect(reason(join(good, 'x'))).toBe('cannot open it (ENOTDIR)');
  });

  it.runIf(me === 0)('a root-owned rule names root', () => {
    const p = script(tmp(), 'theirs.sh', 'true\n');
    chownSync(p, 4242, 4242);
    expect(reason(p)).toBe('it is owned by uid 4242, not root');
  });

  it('closes every file it opens, refused or not', () => {
    const d = tmp();
    const good = script(d, 'good.sh', 'true\n');
    const wide = script(d, 'wide.sh', 'true\n', 0o755);
    const fds = () => readdirSync('/proc/self/fd').length;
    const before = fds();
    for (let i = 0; i < 20; i++) {
      checkScript(good, me);
      checkScript(wide, me);
    }
    expect(fds()).toBe(before);
  });
});
