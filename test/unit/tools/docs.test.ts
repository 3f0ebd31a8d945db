import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  docsCommand,
  exitCodesTable,
  fleetExitTable,
  GENERATED,
  layersTable,
  paramsTable,
} from '../../../tools/docs.js';
import { PARAMS } from '../../../src/params/index.js';
import { EXIT_CODES } from '../../../src/errors/exit-codes.js';
import { FLEET_EXIT } from '../../../src/fleet/report.js';

const ROOT = new URL('../../..', import.meta.url).pathname;

describe('the documentation (README, ARCHITECTURE.md, docs/)', () => {
  let copy: string | undefined;
  afterEach(() => {
    if (copy) rmSync(copy, { recursive: true, force: true });
    copy = undefined;
  });
  /** A copy of the documentation to break. */
  const docs = () => {
    copy = mkdtempSync(join(tmpdir(), 'asp-docs-'));
    for (const f of [
      'README.md',
      'ARCHITECTURE.md',
      'CHANGELOG.md',
      'docs',
      'test/README.md',
      'scripts',
    ])
      cpSync(join(ROOT, f), join(copy, f), { recursive: true });
    return copy;
  };

  it('has one row per parameter, per exit code and per fleet exit code', () => {
    expect(paramsTable().split('\n')).toHaveLength(PARAMS.length + 2);
    expect(exitCodesTable().split('\n')).toHaveLength(EXIT_CODES.length + 2);
    expect(fleetExitTable().split('\n')).toHaveLength(Object.keys(FLEET_EXIT).length + 2);
  });

  it('is current: every generated table shown, every link resolves, every page reachable', () => {
    expect(docsCommand(ROOT, 'check')).toMatchObject({ ok: true });
    expect(readFileSync(join(ROOT, 'docs/040_exit-codes-and-output.md'), 'utf8')).toContain(
      '| 16 | SnapshotInProgress |',
    );
  });

  it('fails on a table that drifted, and npm run docs puts it back', () => {
    const root = docs();
    const page = join(root, 'docs/070_fleet.md');
    writeFileSync(page, readFileSync(page, 'utf8').replace('| 21 | NotStarted |', '| 21 | Gone |'));
    expect(docsCommand(root, 'check')).toEqual({
      ok: false,
      message: 'out of date (run npm run docs): docs/070_fleet.md',
    });
    expect(docsCommand(root, 'write').ok).toBe(true);
    expect(docsCommand(root, 'check').ok).toBe(true);
  });

  it('fails on a link to nothing, a page the README does not reach, and a table no page shows', () => {
    const root = docs();
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    writeFileSync(
      join(root, 'README.md'),
      readme.replace('(docs/070_fleet.md)', '(docs/075_fleet.md)'),
    );
    writeFileSync(join(root, 'docs/dev/050_orphan.md'), '# A page no one links\n');
    const env = join(root, 'docs/030_parameters-and-commands.md');
    writeFileSync(
      env,
      readFileSync(env, 'utf8').replace(
        /<!-- environment:start -->[\s\S]*<!-- environment:end -->/,
        '',
      ),
    );
    const r = docsCommand(root, 'check');
    expect(r.ok).toBe(false);
    expect(r.message.split('\n')).toEqual(
      expect.arrayContaining([
        "no page shows the generated table 'environment'",
        'README.md: link to docs/075_fleet.md: no such file',
        'docs/dev/050_orphan.md: not reachable from README.md',
      ]),
    );
  });

  it('refuses a generated section it does not know', () => {
    const root = docs();
    writeFileSync(join(root, 'docs/dev/x.md'), '<!-- nosuch:start -->\n<!-- nosuch:end -->\n');
    expect(() => docsCommand(root, 'check')).toThrow(/unknown generated section 'nosuch'/);
  });

  it('every generated table has a page, and the troubleshooting page covers every exit code', () => {
    expect(Object.keys(GENERATED).sort()).toEqual(
      [
        'ecs-errors',
        'emulator-faults',
        'environment',
        'exit-codes',
        'fleet-exit',
        'json-fields',
        'layers',
        'os',
        'prune-exit',
        'prune-options',
        'params',
      ].sort(),
    );
    // The layer table is the lint's own: a folder added to the lint shows up in it.
    const lint = readFileSync(join(ROOT, 'scripts/lint-boundaries.mjs'), 'utf8');
    expect(GENERATED.layers!(ROOT)).toContain('| `retention/` | errors ');
    expect(() => layersTable(mkdtempSync(join(tmpdir(), 'asp-nolint-')))).toThrow();
    expect(lint).toContain('export const LAYERS = {');
    const page = readFileSync(join(ROOT, 'docs/100_troubleshooting.md'), 'utf8');
    for (const e of EXIT_CODES) expect(page).toMatch(new RegExp(`^\\| ${e.code} \\| `, 'm'));
  });

  it('the code points at pages that exist, and at README sections that exist', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) walk(path);
        else if (/\.(ts|mjs|cjs|sh)$/.test(name)) files.push(path);
      }
    };
    for (const d of ['src', 'tools', 'scripts', 'packaging', 'test']) walk(join(ROOT, d));
    files.push(join(ROOT, '.ci/run'));
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const problems: string[] = [];
    for (const f of files.filter((f) => !f.endsWith('docs.test.ts'))) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\bdocs\/[\w/-]+\.md/g))
        if (!existsSync(join(ROOT, m[0]))) problems.push(`${f}: ${m[0]} does not exist`);
      for (const m of text.matchAll(/README(?:'s)?:? \(?"([^"]+)"/g))
        if (!readme.includes(`## ${m[1]}`)) problems.push(`${f}: README has no section "${m[1]}"`);
    }
    expect(problems).toEqual([]);
  });
});
