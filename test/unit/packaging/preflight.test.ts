// npm run package on a machine without a build tool: one line naming the tool and the Debian
// package, before anything is built (it used to print "failed: nullnull" after compiling).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const BUILD = join(import.meta.dirname, '../../../packaging/build.mjs');

/** Where `tool` is on this machine's PATH, or undefined. */
function which(tool: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

describe('npm run package preflight', () => {
  const bin = mkdtempSync(join(tmpdir(), 'asp-path-'));
  afterAll(() => rmSync(bin, { recursive: true, force: true }));

  it('a missing rpmbuild is one line naming it and the package, before any work', () => {
    // Every other tool present (as links to the real ones, or stand-ins where absent).
    for (const t of ['node', 'npm', 'tar', 'zip', 'dpkg-deb', 'du'])
      symlinkSync(which(t) ?? '/bin/true', join(bin, t));
    const r = spawnSync(join(bin, 'node'), [BUILD], {
      encoding: 'utf8',
      env: { PATH: bin },
    });
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'npm run package: missing build tools: rpmbuild (apt-get install rpm)',
    ]);
    expect(r.stdout).toBe('');
  });
});
