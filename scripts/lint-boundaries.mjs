#!/usr/bin/env node
// Architecture rules that a formatter cannot see (the style rules in docs/dev/010_development.md): each of these is used in
// one place only, so side effects stay behind their interfaces (system/runner.ts says which
// file starts which process, and why the few outside it do).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';

const RULES = [
  // The shipped code never reaches into test tooling or tools/ (the emulator, docs, faults).
  { what: 'test or tools code', pattern: /from ['"](\.\.\/)+(test|tools)\//, only: [] },
  {
    what: 'execa',
    pattern: /['"]execa['"]/,
    only: ['src/system/tool-run.ts', 'src/system/script-run.ts'],
  },
  {
    what: 'node:child_process',
    pattern: /['"]node:child_process['"]/,
    only: ['src/system/helper.ts', 'src/system/bounded-write.ts', 'src/freeze/fsfreeze.ts'],
  },
  { what: 'the cloud SDK', pattern: /['"]@alicloud\//, only: 'src/cloud/client.ts' },
  { what: 'mysql2', pattern: /['"]mysql2(\/promise)?['"]/, only: 'src/apps/mysql2-conn.ts' },
  { what: 'mssql', pattern: /['"]mssql['"]/, only: 'src/apps/mssql-conn.ts' },
  { what: 'pg', pattern: /['"]pg['"]/, only: 'src/apps/pg-conn.ts' },
  {
    what: 'process.exit',
    pattern: /process\.exit\(/,
    only: ['src/cli/main.ts', 'src/cli/watchdog-main.ts'],
  },
  // The cluster (or anyone else) uses the fleet through its index, not its files.
  {
    what: "fleet's files (use fleet/index.ts)",
    pattern: /['"]\.\.\/fleet\/(?!index\.js)/,
    only: [],
  },
  // The command-line layer: cli.ts and each command's own options.
  { what: 'yargs', pattern: /from ['"]yargs['"]/, only: 'src/cli/' },
];

// Which folder of src/ may import which (besides itself): each only from the layers below, so
// no folder imports upward and there is no cycle. ARCHITECTURE.md shows this table.
export const LAYERS = {
  '': [], // files directly in src/ (version.ts): leaves anyone may import
  errors: [],
  system: ['errors'],
  report: ['errors', 'system'],
  cloud: ['errors', 'system'],
  params: ['errors'],
  retention: ['errors'],
  scripts: ['errors', 'system'],
  freeze: ['errors', 'system', 'report'],
  apps: ['errors', 'system', 'report'],
  engines: ['errors', 'system', 'report', 'params', 'cloud'],
  lab: ['errors', 'system', 'report', 'engines'],
  // Put a disk back under its mounts: unmount, the engine's rollback, mount again.
  restore: ['errors', 'system', 'engines'],
  plugin: [
    'errors',
    'system',
    'report',
    'params',
    'scripts',
    'freeze',
    'apps',
    'engines',
    'retention',
  ],
  fleet: ['errors', 'system', 'report', 'params', 'cloud', 'engines', 'retention'],
  cluster: ['errors', 'system', 'report', 'cloud', 'engines', 'fleet'],
  // After a run: its result (plugin's types) into the history and the metrics.
  history: ['errors', 'system', 'plugin'],
  schedule: ['errors', 'system', 'params'],
  cli: ['*'],
};

/** The folder of src/ a path is in ('' for a file directly in src/). */
const folderOf = (rel) => (rel.split('/').length > 2 ? rel.split('/')[1] : '');

/** Upward (or unlisted) imports of one file: "from -> to" for each. */
function layerProblems(rel, text) {
  const from = folderOf(rel);
  const allowed = LAYERS[from];
  if (!allowed) return [`${rel}: folder src/${from || '.'} is not in the layer table`];
  const out = [];
  for (const m of text.matchAll(/(?:from|import\s*\(?)\s*['"](\.{1,2}\/[^'"]+)['"]/g)) {
    const target = join(dirname(rel), m[1]).replace(/\\/g, '/');
    const to = folderOf(target);
    if (to === from || !to || allowed.includes('*') || allowed.includes(to)) continue;
    out.push(
      `${rel}: imports ${m[1]} (src/${from} may import only ${allowed.join(', ') || 'nothing'})`,
    );
  }
  return out;
}

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else if (path.endsWith('.ts')) yield path;
  }
}

// The repository to check: this one, or another given as the argument (the lint's own test).
const root = process.argv[2] ?? join(import.meta.dirname, '..');
const problems = [];
for (const file of files(join(root, 'src'))) {
  const rel = relative(root, file);
  const text = readFileSync(file, 'utf8');
  problems.push(...layerProblems(rel, text));
  for (const rule of RULES) {
    const only = [rule.only].flat();
    const allowed = only.some((o) => (o.endsWith('/') ? rel.startsWith(o) : rel === o));
    if (rule.pattern.test(text) && !allowed) {
      problems.push(`${rel}: uses ${rule.what}, allowed only in ${only.join(', ')}`);
    }
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
console.log(`boundaries ok (${RULES.map((r) => r.what).join(', ')}; folders import only downward)`);
