import { readFileSync } from 'node:fs';
import type { Params } from '../params/index.js';
import type { Runner } from '../system/runner.js';
import { LocalEngine } from './local/engine.js';
import type { EcsApi } from './ecs/client.js';
import { DEFAULT_LOOKUP } from './ecs/devices.js';
import { EcsEngine, requireRole } from './ecs/engine.js';
import { MetadataClient, RoleCredentials } from './ecs/metadata.js';
import { withRetry } from './ecs/retry.js';
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

/**
 * auto: ecs on an ECS instance, or when APP_SNAPSHOT_METADATA_URL points the agent at a
 * metadata service (the emulator); the local engine anywhere else.
 */
export function resolveEngineName(
  engine: Params['engine'],
  env: NodeJS.ProcessEnv = process.env,
): 'local' | 'ecs' {
  if (engine !== 'auto') return engine;
  return onEcs() || env.APP_SNAPSHOT_METADATA_URL ? 'ecs' : 'local';
}

/** vpc (default, from inside an instance), public, or a URL (the emulator). */
export function ecsEndpoint(setting: string | undefined, region: string): string {
  if (!setting || setting === 'vpc') return `https://ecs-vpc.${region}.aliyuncs.com`;
  if (setting === 'public') return `https://ecs.${region}.aliyuncs.com`;
  return setting;
}

/**
 * The cloud engine, configured from the environment where tests and unusual networks need it:
 * APP_SNAPSHOT_METADATA_URL (default http://100.100.100.200), APP_SNAPSHOT_ECS_ENDPOINT
 * (default the region's VPC endpoint), APP_SNAPSHOT_DISK_BY_ID_DIR (default /dev/disk/by-id).
 */
function createEcsEngine(
  params: Pick<Params, 'ramRoleName' | 'timeoutInSeconds'>,
  env: NodeJS.ProcessEnv,
): SnapshotEngine {
  const role = requireRole(params.ramRoleName);
  // CreateSnapshotGroup runs while frozen: its retries must end before the watchdog's deadline.
  const frozenBudgetMs = Math.max(1000, params.timeoutInSeconds * 1000 - 5000);
  const metadata = new MetadataClient(
    env.APP_SNAPSHOT_METADATA_URL ? { baseUrl: env.APP_SNAPSHOT_METADATA_URL } : {},
  );
  const credentials = new RoleCredentials(metadata, role);
  let api: EcsApi | undefined;
  const lazyApi: EcsApi = {
    async call(action, p, options) {
      // Loaded on first use: the local engine never pays for the SDK.
      const { ecsClient } = await import('./ecs/client.js');
      // CreateSnapshotGroup answers in about a second (the vendor's logs: 0.5-1.3 s); 10 s
      // for connect and read catches a dead endpoint well inside the 30 s freeze budget.
      const attemptTimeoutMs = 10_000;
      api ??= withRetry(
        ecsClient({
          endpoint: ecsEndpoint(env.APP_SNAPSHOT_ECS_ENDPOINT, await metadata.regionId()),
          credentials: () => credentials.get(),
          timeoutMs: attemptTimeoutMs,
        }),
        {
          budgetMs: (action) => (action === 'CreateSnapshotGroup' ? frozenBudgetMs : 60_000),
          baseMs: 200,
          maxMs: 5000,
          attemptTimeoutMs,
        },
      );
      return api.call(action, p, options);
    },
  };
  return new EcsEngine({
    api: lazyApi,
    metadata,
    checkCredentials: () => credentials.get(),
    lookup: {
      ...DEFAULT_LOOKUP,
      ...(env.APP_SNAPSHOT_DISK_BY_ID_DIR ? { byIdDir: env.APP_SNAPSHOT_DISK_BY_ID_DIR } : {}),
    },
  });
}

export function createEngine(
  params: Pick<Params, 'engine' | 'pool' | 'ramRoleName' | 'timeoutInSeconds'>,
  deps: { runner: Runner; env?: NodeJS.ProcessEnv },
): SnapshotEngine {
  const env = deps.env ?? process.env;
  const name = resolveEngineName(params.engine, env);
  if (name === 'ecs') return createEcsEngine(params, env);
  return new LocalEngine({
    poolDir: params.pool,
    runner: deps.runner,
    fault: (deps.env ?? process.env).APP_SNAPSHOT_LOCAL_FAULT,
  });
}
