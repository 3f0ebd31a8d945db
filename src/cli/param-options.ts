// The snapshot parameters as yargs options, for --help (parsing itself is params/).
import type { Argv } from 'yargs';
import { PARAMS, kebab, type ParamSpec } from '../params/index.js';

const PARAM_GROUP =
  'Snapshot parameters (Go-flag -Name=x, long flag --name x, or one --params="-Name=x,..."):';

export function describeParams(y: Argv): Argv {
  for (const p of PARAMS as readonly ParamSpec[]) {
    const def = p.required
      ? ' [required]'
      : p.default === '' || p.default === undefined
        ? ''
        : ` [default: ${String(p.default)}]`;
    y = y.option(kebab(p.name), {
      describe: `-${p.name}: ${p.help}${def}`,
      type: 'string',
      group: PARAM_GROUP,
    });
  }
  return y.option('params', {
    describe: "The plugin manager's form: one string, commas between words",
    type: 'string',
    group: PARAM_GROUP,
  });
}

export const OUTPUT_OPTION = {
  choices: ['text', 'json', 'invocation'] as const,
  default: 'text' as const,
  describe:
    'text: the vendor log; json: one JSON result (log on stderr); invocation: what the control plane returns (base64 Output)',
};

/** `--json`: kept for the commands that had it before --output (check, groups, lab). */
export const JSON_ALIAS = {
  type: 'boolean',
  default: false,
  describe: 'the same as --output json',
} as const;

/** Whether a command prints JSON: --output json, or its older --json. */
export function wantsJson(a: { readonly output?: unknown; readonly json?: unknown }): boolean {
  return a.output === 'json' || a.json === true;
}
