// scripts/lint-boundaries.mjs on small trees of its own: the folder-direction rule bites on an
// upward import (static or dynamic) and on a folder missing from its table, and passes a
// downward one. (On this repository it runs in `npm run lint`.)
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tmp } from '../../support/tmp.js';

const script = join(import.meta.dirname, '../../../scripts/lint-boundaries.mjs');

/** Runs the lint on a repository holding just these files (path under src/ -> text). */
function lint(files: Record<string, string>) {
  const root = tmp();
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(root, 'src', path)), { recursive: true });
    writeFileSync(join(root, 'src', path), text);
  }
  const r = spawnSync(process.execPath, [script, root], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout + r.stderr };
}

describe('lint-boundaries: folders import only downward', () => {
  it('passes an import of a lower layer', () => {
    const r = lint({
      'system/lock.ts': "import { AgentError } from '../errors/errors.js';\n",
      'errors/errors.ts': 'export class AgentError extends Error {}\n',
    });
    expect(r).toMatchObject({
      code: 0,
      out: expect.stringContaining('folders import only downward'),
    });
  });

  it('fails an upward import, naming the file, the import and what the folder may import', () => {
    const r = lint({
      'system/lock.ts': "import { writeOutput } from '../report/output.js';\n",
      'report/output.ts': 'export const writeOutput = 1;\n',
    });
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      'src/system/lock.ts: imports ../report/output.js (src/system may import only errors)',
    );
  });

  it('fails a dynamic or bare upward import too, and a folder the table does not know', () => {
    const r = lint({
      'freeze/plan.ts': "export const p = () => import('../plugin/run.js');\n",
      'freeze/side.ts': "import '../cli/main.js';\n",
      'newthing/x.ts': "import '../errors/errors.js';\n",
    });
    expect(r.code).toBe(1);
    expect(r.out).toContain('src/freeze/plan.ts: imports ../plugin/run.js');
    expect(r.out).toContain('src/freeze/side.ts: imports ../cli/main.js');
    expect(r.out).toContain('src/newthing/x.ts: folder src/newthing is not in the layer table');
  });
});
