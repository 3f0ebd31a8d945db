import { readFileSync } from 'node:fs';
import type { Params } from '../params/index.js';
import type { Runner } from '../system/runner.js';
import { LocalEngine } from './local/engine.js';
import { ecsApi, ecsEndpoint, MetadataClient, RoleCredentials } from '../cloud/index.js';
import { DEFAULT_LOOKUP } from './ecs/devices.js';
import { EcsEngine, requireRole } from './ecs/engine.js';
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
  // CreateSnapshotGroup answers in about a second (the vendor's logs: 0.5-1.3 s); 10 s for
  // connect and read catches a dead endpoint well inside the 30 s freeze budget.
  const api = ecsApi({
    endpoint: async () => ecsEndpoint(config.ecsEndpoint, await metadata.regionId()),
    credentials: () => credentials.get(),
    retry: {
      budgetMs: (action) => (action === 'CreateSnapshotGroup' ? frozenBudgetMs : 60_000),
      baseMs: 200,
      maxMs: 5000,
      attemptTimeoutMs: 10_000,
    },
  });
  return new EcsEngine({
    api,
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
