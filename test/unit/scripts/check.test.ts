import { execFileSync } from 'node:child_process';
import { linkSync, symlinkSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkScript } from '../../../src/scripts/check.js';
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
});
