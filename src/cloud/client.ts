// The only file that imports the cloud SDK. @alicloud/pop-core is Alibaba Cloud's official
// RPC client: it signs ECS calls (HMAC-SHA1, SecurityToken for STS) and is 3.8 MB installed,
// against 55 MB for the generated @alicloud/ecs20140526 (docs/050_cloud-engine.md, "Which SDK, and what it costs").
import RPCClient from '@alicloud/pop-core';
import { EcsApiError, type CallOptions, type EcsApi } from './api.js';
import type { StsCredentials } from './metadata.js';

export { EcsApiError, type CallOptions, type EcsApi } from './api.js';

export interface EcsClientOptions {
  /** e.g. https://ecs-vpc.cn-hangzhou.aliyuncs.com, or the emulator's http://127.0.0.1:PORT */
  readonly endpoint: string;
  readonly credentials: () => Promise<StsCredentials>;
  readonly timeoutMs: number;
}

interface PopError {
  code?: string;
  data?: { Message?: string; RequestId?: string };
  entry?: { response?: { statusCode?: number } };
  message?: string;
}

export function ecsClient(o: EcsClientOptions): EcsApi {
  // What the credentials provider threw: nothing was sent, and its own error (no RAM role, no
  // credentials at all) says more than a transport failure would.
  const unsent = new WeakSet<object>();
  const client = new RPCClient({
    endpoint: o.endpoint,
    apiVersion: '2014-05-26',
    // pop-core asks for credentials on every request: the role's are refreshed before expiry.
    credentialsProvider: {
      getCredentials: async () => {
        const c = await o.credentials().catch((e: unknown) => {
          if (typeof e === 'object' && e !== null) unsent.add(e);
          throw e;
        });
        return {
          accessKeyId: c.accessKeyId,
          accessKeySecret: c.accessKeySecret,
          securityToken: c.securityToken,
        };
      },
    },
  } as unknown as RPCClient.Config);
  return {
    async call<T>(
      action: string,
      params: Record<string, unknown>,
      options: CallOptions = {},
    ): Promise<T> {
      try {
        // POST: parameters (and the SecurityToken) travel in the body, never in a URL that an
        // error message could echo.
        return await client.request<T>(action, params, {
          method: 'POST',
          formatParams: false,
          timeout: Math.max(1, Math.floor(options.timeoutMs ?? o.timeoutMs)),
        });
      } catch (e) {
        if (typeof e === 'object' && e !== null && unsent.has(e)) throw e;
        throw apiError(e);
      }
    },
  };
}

/** The SDK's failure as an EcsApiError: the service's code, or Network.* for the transport. */
function apiError(e: unknown): EcsApiError {
  const err = e as PopError;
  // The service's error has a code and an HTTP answer; a socket's (ECONNRESET,
  // ETIMEDOUT ...) has a code and none: that one is a transport failure below.
  if (err.code && (err.entry?.response?.statusCode !== undefined || err.data)) {
    return new EcsApiError(
      err.code,
      err.data?.Message ?? 'request failed',
      err.entry?.response?.statusCode,
      err.data?.RequestId,
    );
  }
  // Transport failures (refused, reset, timeout) and non-JSON answers.
  const what =
    err.code ?? (String((e as Error).name ?? 'Error').replace(/Error$/, '') || 'Network');
  return new EcsApiError(
    `Network.${what}`,
    String(err.message ?? e).split(', URL:')[0]!,
    undefined,
    undefined,
  );
}
