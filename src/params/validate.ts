import { ParamsError } from '../errors/errors.js';
import { PARAMS, type ParamSpec } from './schema.js';
import type { RawParam } from './words.js';

/** A parameter's key in Params: camelCase, and the vendor's singular ExcludeDiskId a plural. */
type KeyOf<N extends string> = N extends 'ExcludeDiskId' ? 'excludeDiskIds' : Uncapitalize<N>;

/** A parameter's value once validated, by its type in the table. */
type ValueOf<S> = S extends { type: 'bool' }
  ? boolean
  : S extends { type: 'int' }
    ? number
    : S extends { type: 'list' }
      ? string[]
      : S extends { type: 'enum'; choices: readonly (infer C)[] }
        ? C
        : string;

/** The validated parameters: one field per row of PARAMS, derived from it (see schema.ts). */
export type Params = {
  [S in (typeof PARAMS)[number] as KeyOf<S['name']>]: ValueOf<S>;
};

export type EngineName = Params['engine'];

// Go's strconv.ParseBool, which the vendor's Go plugin uses.
const TRUE = new Set(['1', 't', 'T', 'TRUE', 'true', 'True']);
const FALSE = new Set(['0', 'f', 'F', 'FALSE', 'false', 'False']);

function coerce(spec: ParamSpec, value: string): string | number | boolean | string[] {
  const flag = `-${spec.name}`;
  switch (spec.type) {
    case 'string':
      return value;
    case 'bool':
      if (TRUE.has(value)) return true;
      if (FALSE.has(value)) return false;
      throw new ParamsError(`${flag} must be true or false, got '${value}'`, spec.name);
    case 'int': {
      if (!/^[+-]?\d+$/.test(value.trim())) {
        throw new ParamsError(`${flag} must be an integer, got '${value}'`, spec.name);
      }
      const n = Number(value);
      if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        throw new ParamsError(
          `${flag} must be between ${spec.min} and ${spec.max}, got ${value}`,
          spec.name,
        );
      }
      return n;
    }
    case 'list':
      return value
        .split(/[\s,]+/)
        .map((s) => s.trim())
        .filter(Boolean);
    case 'enum':
      if (!spec.choices?.includes(value)) {
        throw new ParamsError(
          `${flag} must be one of ${spec.choices?.join(', ')}, got '${value}'`,
          spec.name,
        );
      }
      return value;
  }
}

function keyOf(name: string): string {
  return name === 'ExcludeDiskId' ? 'excludeDiskIds' : name[0]!.toLowerCase() + name.slice(1);
}

/** Checks presence, duplicates, types and ranges; fills defaults. Throws ParamsError (exit 2). */
export function validateParams(raw: readonly RawParam[]): Params {
  const seen = new Map<ParamSpec, RawParam>();
  for (const r of raw) {
    const prev = seen.get(r.spec);
    if (prev) {
      throw new ParamsError(
        `-${r.spec.name} is given twice (-${prev.key} and -${r.key})`,
        r.spec.name,
      );
    }
    seen.set(r.spec, r);
  }
  const out: Record<string, unknown> = {};
  for (const spec of PARAMS as readonly ParamSpec[]) {
    const r = seen.get(spec);
    const key = keyOf(spec.name);
    const required = 'required' in spec && spec.required;
    if (r && !(required && r.value === '')) out[key] = coerce(spec, r.value);
    else if (required) {
      throw new ParamsError(`-${spec.name} is required`, spec.name);
    } else out[key] = spec.type === 'list' ? [] : spec.default;
  }
  return out as Params; // one field per row, typed by the row (see Params)
}
