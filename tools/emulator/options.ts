// The emulator's command line (npm run emulator), parsed once and checked before anything
// starts: a typo or an unknown fault is exit 2 with one line, never silently ignored.
//   --root DIR  --port N  --instances N  --vm
//   --faults [K:]name[=N],...   every instance, or instance K (1-based) only
//   --apps [K:]FILE             the apps config (APP_SNAPSHOT_APPS_CONFIG) of every instance or K
//   --env [K:]NAME=VALUE        more APP_SNAPSHOT_* environment for every instance's agent or K
// --apps and --env may be given more than once; a K: setting wins over an unprefixed one.
import { FAULTS, type Fault } from './faults.js';

export type Faults = Partial<Record<Fault, number | boolean>>;

export interface EmulatorOptions {
  readonly mode: 'single' | 'region' | 'vm';
  readonly root?: string;
  readonly port: number;
  /** 1 unless --instances N. */
  readonly instances: number;
  /** What instance k (1-based) gets: its faults and its agent's extra environment. */
  faultsFor(k: number): Faults;
  envFor(k: number): Record<string, string>;
}

/** Bad command line: main.ts prints the message and exits 2. */
export class UsageError extends Error {}

const VALUED = new Set(['root', 'port', 'instances', 'faults', 'apps', 'env']);
const REPEATABLE = new Set(['faults', 'apps', 'env']);

/** "[K:]rest" → which instance (undefined: every one) and the rest. */
function target(value: string, instances: number, what: string): [number | undefined, string] {
  const m = /^(\d+):(.*)$/s.exec(value);
  if (!m) return [undefined, value];
  const k = Number(m[1]);
  if (k < 1 || k > instances)
    throw new UsageError(`${what} ${value}: there is no instance ${k} (1-${instances})`);
  return [k, m[2]!];
}

function wholeNumber(flag: string, value: string | undefined, min: number): number {
  if (value === undefined || !/^\d+$/.test(value) || Number(value) < min)
    throw new UsageError(`--${flag} needs a whole number >= ${min}, not ${value ?? 'nothing'}`);
  return Number(value);
}

function readArgs(argv: readonly string[]): Map<string, string[]> {
  const seen = new Map<string, string[]>();
  for (let i = 0; i < argv.length; i++) {
    const m = /^--([a-z]+)$/.exec(argv[i]!);
    if (!m || !(VALUED.has(m[1]!) || m[1] === 'vm'))
      throw new UsageError(
        `unknown argument ${argv[i]} (--root --port --instances --vm --faults --apps --env)`,
      );
    const name = m[1]!;
    if (seen.has(name) && !REPEATABLE.has(name)) throw new UsageError(`--${name} given twice`);
    const values = seen.get(name) ?? [];
    if (VALUED.has(name)) {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`--${name} needs a value`);
      values.push(v);
    }
    seen.set(name, values);
  }
  return seen;
}

function parseFault(item: string): [Fault, number | boolean] {
  const [name, value] = item.split('=', 2);
  if (!(FAULTS as readonly string[]).includes(name!))
    throw new UsageError(`unknown fault ${name} (known: ${FAULTS.join(', ')})`);
  if (value === undefined) return [name as Fault, true];
  if (!/^\d+$/.test(value))
    throw new UsageError(`fault ${name}=${value}: the value is a whole number (count or ms)`);
  return [name as Fault, Number(value)];
}

export function parseEmulatorArgs(argv: readonly string[]): EmulatorOptions {
  const a = readArgs(argv);
  const one = (n: string) => a.get(n)?.[0];
  if (a.has('vm') && a.has('instances'))
    throw new UsageError('--vm and --instances exclude each other');
  const instances = a.has('instances') ? wholeNumber('instances', one('instances'), 1) : 1;
  const mode = a.has('vm') ? 'vm' : a.has('instances') ? 'region' : 'single';
  const faults = new Map<number | undefined, Faults>();
  for (const list of a.get('faults') ?? [])
    for (const item of list.split(',').filter(Boolean)) {
      const [k, rest] = target(item, instances, 'fault');
      const [name, value] = parseFault(rest);
      faults.set(k, { ...faults.get(k), [name]: value });
    }
  const env = new Map<number | undefined, Record<string, string>>();
  const setEnv = (k: number | undefined, name: string, value: string) =>
    env.set(k, { ...env.get(k), [name]: value });
  for (const v of a.get('apps') ?? []) {
    const [k, file] = target(v, instances, '--apps');
    if (!file.startsWith('/')) throw new UsageError(`--apps ${v}: an absolute path is needed`);
    setEnv(k, 'APP_SNAPSHOT_APPS_CONFIG', file);
  }
  for (const v of a.get('env') ?? []) {
    const [k, pair] = target(v, instances, '--env');
    const m = /^(APP_SNAPSHOT_[A-Z0-9_]+)=(.*)$/s.exec(pair);
    if (!m) throw new UsageError(`--env ${v}: NAME=VALUE with an APP_SNAPSHOT_ name`);
    setEnv(k, m[1]!, m[2]!);
  }
  return {
    mode,
    ...(a.has('root') ? { root: one('root')! } : {}),
    port: a.has('port') ? wholeNumber('port', one('port'), 0) : 0,
    instances,
    faultsFor: (k) => ({ ...faults.get(undefined), ...faults.get(k) }),
    envFor: (k) => ({ ...env.get(undefined), ...env.get(k) }),
  };
}
