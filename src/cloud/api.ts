// What the agent calls the cloud with, and how a call fails, without the SDK: everything that
// only names the API or its errors imports this, so the SDK (client.ts) loads only when a run
// really calls the cloud, not on every start of the executable.
import type { Deadline } from '../system/clock.js';

export interface CallOptions {
  /** This attempt's timeout (connect + read), instead of the client's default. */
  readonly timeoutMs?: number;
  /** The frozen window's deadline: nothing of this call may outlive it (see retry.ts). */
  readonly deadline?: Deadline;
}

/**
 * One ECS API call. Rejects with an EcsApiError (the service's refusal, or `Network.*` for a
 * transport failure), or with the credentials' own error when they could not be had (then
 * nothing was sent).
 */
export interface EcsApi {
  call<T>(action: string, params: Record<string, unknown>, options?: CallOptions): Promise<T>;
}

/** A failed API call, with the service's code; never carries request URLs or credentials. */
export class EcsApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly httpStatus: number | undefined,
    readonly requestId: string | undefined,
  ) {
    super(`${code}: ${message}${requestId ? ` (RequestId ${requestId})` : ''}`);
    this.name = 'EcsApiError';
  }
}
