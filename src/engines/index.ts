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

/** Where the cloud engine finds its services (cli/config.ts reads them from the environment). */
export interface EngineConfig {
  /** The metadata service (APP_SNAPSHOT_METADATA_URL; default http://100.100.100.200). */
  readonly metadataUrl?: string;
  /** vpc (default), public or a URL (APP_SNAPSHOT_ECS_ENDPOINT). */
  readonly ecsEndpoint?: string;
  /** Where disk serials appear (APP_SNAPSHOT_DISK_BY_ID_DIR; default /dev/disk/by-id). */
  readonly diskByIdDir?: string;
}

/**
 * auto: ecs on an ECS instance, or when a metadata service is configured (the emulator); the
 * local engine anywhere else.
 */
export function resolveEngineName(
  engine: Params['engine'],
  config: EngineConfig = {},
): 'local' | 'ecs' {
  if (engine !== 'auto') return engine;
  return onEcs() || config.metadataUrl ? 'ecs' : 'local';
}

/** vpc (default, from inside an instance), public, or a URL (the emulator). */
export function ecsEndpoint(setting: string | undefined, region: string): string {
  if (!setting || setting === 'vpc') return `https://ecs-vpc.${region}.aliyuncs.com`;
  if (setting === 'public') return `https://ecs.${region}.aliyuncs.com`;
  return setting;
}

/** The cloud engine: metadata service, signed ECS client with retries, device lookup. */
function createEcsEngine(
  params: Pick<Params, 'ramRoleName' | 'timeoutInSeconds'>,
  config: EngineConfig,
): SnapshotEngine {
  const role = requireRole(params.ramRoleName);
  // CreateSnapshotGroup runs while frozen: its retries must end before the watchdog's deadline.
  const frozenBudgetMs = Math.max(1000, params.timeoutInSeconds * 1000 - 5000);
  const metadata = new MetadataClient(config.metadataUrl ? { baseUrl: config.metadataUrl } : {});
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
          endpoint: ecsEndpoint(config.ecsEndpoint, await metadata.regionId()),
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
      ...(config.diskByIdDir ? { byIdDir: config.diskByIdDir } : {}),
    },
  });
}

export function createEngine(
  params: Pick<Params, 'engine' | 'pool' | 'ramRoleName' | 'timeoutInSeconds'>,
  deps: { runner: Runner; config?: EngineConfig },
): SnapshotEngine {
  const config = deps.config ?? {};
  if (resolveEngineName(params.engine, config) === 'ecs') return createEcsEngine(params, config);
  return new LocalEngine({ poolDir: params.pool, runner: deps.runner });
}
