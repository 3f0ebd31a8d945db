// Generated README sections: the parameter and exit-code tables come from the code's tables.
import { readFileSync, writeFileSync } from 'node:fs';
import { PARAMS, kebab, type ParamSpec } from '../src/params/index.js';
import { EXIT_CODES } from '../src/errors/exit-codes.js';
import { SUPPORTED_OS } from '../src/system/os-release.js';
import { BY_CALL, BY_CODE } from '../src/engines/ecs/errors.js';
import { FAULT_HELP } from './emulator/faults.js';
import { EXIT } from '../src/errors/exit-codes.js';

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

function replaceSection(text: string, name: string, body: string): string {
  const re = new RegExp(`(<!-- ${name}:start -->\\n)[\\s\\S]*?(<!-- ${name}:end -->)`);
  if (!re.test(text)) throw new Error(`README has no ${name} section`);
  return text.replace(re, `$1${body}\n$2`);
}

/** Regenerates (write) or verifies (check) the README's generated sections. */
export function docsCommand(
  file: string,
  mode: 'write' | 'check',
): { ok: boolean; message: string } {
  const before = readFileSync(file, 'utf8');
  let after = replaceSection(before, 'params', paramsTable());
  after = replaceSection(after, 'exit-codes', exitCodesTable());
  after = replaceSection(after, 'os', osTable());
  after = replaceSection(after, 'ecs-errors', ecsErrorsTable());
  after = replaceSection(after, 'emulator-faults', faultsTable());
  if (mode === 'write') {
    writeFileSync(file, after);
    return { ok: true, message: `${file} updated` };
  }
  return before === after
    ? { ok: true, message: `${file} is up to date` }
    : { ok: false, message: `${file} is out of date: run npm run docs` };
}
