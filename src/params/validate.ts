import { ParamsError } from '../report/errors.js';
import { PARAMS, type ParamSpec } from './schema.js';
import type { RawParam } from './words.js';

export type EngineName = 'auto' | 'local' | 'ecs';

/** Typed, validated run parameters. */
export interface Params {
  name: string;
  description: string;
  ramRoleName: string;
  excludeDiskIds: string[];
  instantAccess: boolean;
  instantAccessRetentionDays: number;
  preScriptPath: string;
  postScriptPath: string;
  enableFsFreeze: boolean;
  timeoutInSeconds: number;
  scriptTimeoutInSeconds: number;
  groupTimeoutInSeconds: number;
  deleteUnclaimedGroup: boolean;
  enableWriters: boolean;
  apps: string[];
  engine: EngineName;
  clusterCoordinator: string;
  clusterFingerprint: string;
  pool: string;
}

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

function camel(name: string): string {
  return name[0]!.toLowerCase() + name.slice(1);
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
    const key = spec.name === 'ExcludeDiskId' ? 'excludeDiskIds' : camel(spec.name);
    const required = 'required' in spec && spec.required;
    if (r && !(required && r.value === '')) out[key] = coerce(spec, r.value);
    else if (required) {
      throw new ParamsError(`-${spec.name} is required`, spec.name);
    } else out[key] = spec.type === 'list' ? [] : spec.default;
  }
  return out as unknown as Params;
}
