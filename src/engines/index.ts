import { readFileSync } from 'node:fs';
import type { Params } from '../params/index.js';
import { conditionFailed } from '../report/errors.js';
import type { Runner } from '../system/runner.js';
import { LocalEngine } from './local/engine.js';
import type { SnapshotEngine } from './types.js';

export type { SnapshotEngine } from './types.js';

/** On an ECS instance the DMI vendor says so; anywhere else the local engine is the default. */
export function onEcs(sysVendorPath = '/sys/class/dmi/id/sys_vendor'): boolean {
  try {
    return /alibaba cloud/i.test(readFileSync(sysVendorPath, 'utf8'));
  } catch {
    return false;
  }
}

export function resolveEngineName(engine: Params['engine']): 'local' | 'ecs' {
  if (engine !== 'auto') return engine;
  return onEcs() ? 'ecs' : 'local';
}

export function createEngine(
  params: Pick<Params, 'engine' | 'pool'>,
  deps: { runner: Runner; env?: NodeJS.ProcessEnv },
): SnapshotEngine {
  const name = resolveEngineName(params.engine);
  if (name === 'ecs') {
    throw conditionFailed('the ecs engine is not available in this build yet; use -Engine=local');
  }
  return new LocalEngine({
    poolDir: params.pool,
    runner: deps.runner,
    fault: (deps.env ?? process.env).APP_SNAPSHOT_LOCAL_FAULT,
  });
}
