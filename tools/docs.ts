// Generated documentation: every table the code defines (parameters, exit codes, systems, ECS
// errors, emulator faults, fleet exit codes, environment variables, JSON fields) is written
// into the page that shows it, between <!-- name:start --> and <!-- name:end -->; `--check`
// fails on a table that drifted, a relative link to nothing, or a page the README cannot reach.
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { PARAMS, kebab, type ParamSpec } from '../src/params/index.js';
import { EXIT_CODES } from '../src/errors/exit-codes.js';
import { SUPPORTED_OS } from '../src/system/os-release.js';
import { BY_CALL, BY_CODE } from '../src/engines/ecs/errors.js';
import { FAULT_HELP } from './emulator/faults.js';
import { EXIT } from '../src/errors/exit-codes.js';
import { FLEET_EXIT, FLEET_EXIT_MEANING } from '../src/fleet/report.js';
import { ENVIRONMENT } from '../src/cli/environment.js';
import { RESULT_FIELDS } from '../src/plugin/result.js';
import { PRUNE_OPTIONS } from '../src/cli/prune-options.js';
import { PRUNE_EXIT, PRUNE_EXIT_MEANING } from '../src/cli/commands/prune.js';

export function paramsTable(): string {
  const rows = (PARAMS as readonly ParamSpec[]).map((p) => {
    const range =
      p.min !== undefined ? ` (${p.min}-${p.max})` : p.choices ? ` (${p.choices.join('\\|')})` : '';
    const def = p.required
      ? 'required'
      : p.default === '' || p.default === undefined
        ? ''
        : `\`${String(p.default)}\``;
    return `| \`-${p.name}\` | \`--${kebab(p.name)}\` | ${p.type}${range} | ${def} | ${p.origin} | ${p.help.replace(/\|/g, '\\|')} |`;
  });
  return [
    '| Go flag | long flag | type | default | origin | meaning |',
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

export function exitCodesTable(): string {
  return [
    '| code | name | meaning |',
    '|---|---|---|',
    ...EXIT_CODES.map((e) => `| ${e.code} | ${e.name} | ${e.meaning} |`),
  ].join('\n');
}

export function osTable(): string {
  return [
    '| `ID` in /etc/os-release | distribution | from version |',
    '|---|---|---|',
    ...SUPPORTED_OS.map((o) => `| ${o.id} | ${o.label} | ${o.min} |`),
  ].join('\n');
}

export function ecsErrorsTable(): string {
  return [
    '| cloud error code | exit | meaning |',
    '|---|---|---|',
    ...BY_CODE.map((c) => `| \`${c.codes}\` | ${EXIT[c.kind]} ${c.kind} | ${c.why} |`),
    ...Object.entries(BY_CALL).map(([call, kind]) =>
      call === 'TagResources'
        ? `| any code from TagResources | ${EXIT[kind]} ${kind} | the snapshots exist by then: every refusal is a tagging failure |`
        : `| any other code from ${call} | ${EXIT[kind]} ${kind} | |`,
    ),
  ].join('\n');
}

export function faultsTable(): string {
  return [
    '| fault | effect |',
    '|---|---|',
    ...Object.entries(FAULT_HELP).map(([name, what]) => `| \`${name}\` | ${what} |`),
  ].join('\n');
}

export function fleetExitTable(): string {
  return [
    '| fleet exit code | name | meaning |',
    '|---|---|---|',
    ...Object.entries(FLEET_EXIT).map(
      ([name, code]) =>
        `| ${code} | ${name} | ${FLEET_EXIT_MEANING[name as keyof typeof FLEET_EXIT]} |`,
    ),
  ].join('\n');
}

export function environmentTable(): string {
  return [
    '| variable | for | default | meaning |',
    '|---|---|---|---|',
    ...ENVIRONMENT.map(
      (v) => `| \`${v.name}\` | ${v.for} | ${v.default ? `\`${v.default}\`` : ''} | ${v.meaning} |`,
    ),
  ].join('\n');
}

export function jsonFieldsTable(): string {
  return [
    '| field | meaning |',
    '|---|---|',
    ...Object.entries(RESULT_FIELDS).map(([k, v]) => `| \`${k}\` | ${v} |`),
  ].join('\n');
}

/**
 * The folder layers, as scripts/lint-boundaries.mjs enforces them (read from its LAYERS table),
 * top first, padded as prettier pads a Markdown table (ARCHITECTURE.md is prettier-checked).
 */
export function layersTable(root: string): string {
  const script = readFileSync(join(root, 'scripts/lint-boundaries.mjs'), 'utf8');
  const body = /export const LAYERS = \{([\s\S]*?)\n\};/.exec(script)?.[1] ?? '';
  const rows = [...body.matchAll(/^\s+'?([a-z]+)'?: \[([^\]]*)\]/gm)].reverse().map((m) => {
    const deps = [...m[2]!.matchAll(/'([^']*)'/g)].map((d) => d[1]!);
    const may = deps.includes('*') ? 'everything' : deps.join(', ') || 'nothing';
    return [`\`${m[1]!}/\``, may];
  });
  if (!rows.length) throw new Error('scripts/lint-boundaries.mjs: no LAYERS table found');
  const all = [['folder', 'may import'], ...rows];
  const w = [0, 1].map((i) => Math.max(...all.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(w[i]!)).join(' | ')} |`;
  // Blank lines around it, as prettier wants a table inside the markers.
  return `\n${[line(all[0]!), line(w.map((n) => '-'.repeat(n))), ...rows.map(line)].join('\n')}\n`;
}

export function pruneOptionsTable(): string {
  return [
    '| option | what it does |',
    '|---|---|',
    ...Object.entries(PRUNE_OPTIONS).map(([k, o]) => `| \`--${k}\` | ${o.describe} |`),
  ].join('\n');
}

export function pruneExitTable(): string {
  return [
    '| exit | name | meaning |',
    '|---|---|---|',
    ...Object.entries(PRUNE_EXIT).map(
      ([name, code]) =>
        `| ${code} | ${name} | ${PRUNE_EXIT_MEANING[name as keyof typeof PRUNE_EXIT]} |`,
    ),
  ].join('\n');
}

/** Every generated section, by its marker name. */
export const GENERATED: Record<string, (root: string) => string> = {
  params: paramsTable,
  'exit-codes': exitCodesTable,
  os: osTable,
  'ecs-errors': ecsErrorsTable,
  'emulator-faults': faultsTable,
  'fleet-exit': fleetExitTable,
  environment: environmentTable,
  'json-fields': jsonFieldsTable,
  layers: layersTable,
  'prune-options': pruneOptionsTable,
  'prune-exit': pruneExitTable,
};

const MARKER = /<!-- ([a-z-]+):start -->\n[\s\S]*?<!-- \1:end -->/g;

/** The text with each generated section it holds regenerated, and the names it held. */
export function regenerate(text: string, root: string): { text: string; names: string[] } {
  const names: string[] = [];
  const out = text.replace(MARKER, (_all, name: string) => {
    const make = GENERATED[name];
    if (!make) throw new Error(`unknown generated section '${name}'`);
    names.push(name);
    return `<!-- ${name}:start -->\n${make(root)}\n<!-- ${name}:end -->`;
  });
  return { text: out, names };
}

/** The documentation: the README, ARCHITECTURE.md and every page under docs/. */
export function docFiles(root: string): string[] {
  const pages: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.md')) pages.push(path);
    }
  };
  if (existsSync(join(root, 'docs'))) walk(join(root, 'docs'));
  return [join(root, 'README.md'), join(root, 'ARCHITECTURE.md'), ...pages];
}

/** Relative links of a Markdown text (outside code), without their #anchor. */
export function links(text: string): string[] {
  const prose = text.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((m) => m[1]!.split('#')[0]!)
    .filter((l) => l && !/^[a-z]+:/.test(l));
}

/** Links to nothing, and pages under docs/ that cannot be reached from the README. */
export function linkProblems(root: string, files: string[]): string[] {
  const problems: string[] = [];
  const reached = new Set<string>();
  const visit = (file: string) => {
    if (reached.has(file) || !file.endsWith('.md') || !existsSync(file)) return;
    reached.add(file);
    for (const l of links(readFileSync(file, 'utf8'))) {
      const target = resolve(dirname(file), l);
      if (!existsSync(target)) problems.push(`${relative(root, file)}: link to ${l}: no such file`);
      else visit(target);
    }
  };
  visit(join(root, 'README.md'));
  for (const f of files) {
    if (!reached.has(f)) {
      problems.push(`${relative(root, f)}: not reachable from README.md`);
      visit(f);
    }
  }
  return [...new Set(problems)];
}

/** Regenerates (write) or verifies (check) every generated section of the documentation. */
export function docsCommand(
  rootDir: string,
  mode: 'write' | 'check',
): { ok: boolean; message: string } {
  const root = resolve(rootDir);
  const files = docFiles(root);
  const stale: string[] = [];
  const shown = new Set<string>();
  for (const file of files) {
    const before = readFileSync(file, 'utf8');
    const { text, names } = regenerate(before, root);
    names.forEach((n) => shown.add(n));
    if (text === before) continue;
    if (mode === 'write') writeFileSync(file, text);
    else stale.push(relative(root, file));
  }
  const problems = [
    ...Object.keys(GENERATED)
      .filter((n) => !shown.has(n))
      .map((n) => `no page shows the generated table '${n}'`),
    ...linkProblems(root, files),
    ...(stale.length ? [`out of date (run npm run docs): ${stale.join(', ')}`] : []),
  ];
  if (problems.length) return { ok: false, message: problems.join('\n') };
  return {
    ok: true,
    message:
      mode === 'write' ? `${files.length} pages written` : `${files.length} pages are up to date`,
  };
}
