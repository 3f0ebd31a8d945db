// The cloud API as the engine, fleet and cluster use it: the one place a signed ECS client
// with retries is assembled. The SDK (client.ts) is loaded on the first call, so a command
// that never calls the cloud never pays for it.
import type { CallOptions, EcsApi } from './api.js';
import type { StsCredentials } from './metadata.js';
import { withRetry, type RetryPolicy } from './retry.js';

export type { CallOptions, EcsApi } from './api.js';
export { EcsApiError } from './api.js';
export { MetadataClient, RoleCredentials, type StsCredentials } from './metadata.js';
export { allSnapshotGroups } from './pages.js';

/** vpc (default, from inside an instance), public, or a URL (the emulator). */
export function ecsEndpoint(setting: string | undefined, region: string): string {
  if (!setting || setting === 'vpc') return `https://ecs-vpc.${region}.aliyuncs.com`;
  if (setting === 'public') return `https://ecs.${region}.aliyuncs.com`;
  return setting;
}

export interface EcsApiOptions {
  /** Resolved at the first call (the engine asks the metadata service for its region). */
  readonly endpoint: () => Promise<string>;
  readonly credentials: () => Promise<StsCredentials>;
  /** Retries within a time budget; each attempt's own timeout (connect + read). */
  readonly retry: RetryPolicy;
}

/** A signed ECS client with retries, built on its first call. */
export function ecsApi(o: EcsApiOptions): EcsApi {
  let api: EcsApi | undefined;
  return {
    async call<T>(action: string, params: Record<string, unknown>, options?: CallOptions) {
      if (!api) {
        const { ecsClient } = await import('./client.js');
        const client = ecsClient({
          endpoint: await o.endpoint(),
          credentials: o.credentials,
          timeoutMs: o.retry.attemptTimeoutMs,
        });
        api ??= withRetry(client, o.retry);
      }
      return api.call<T>(action, params, options);
    },
  };
}
