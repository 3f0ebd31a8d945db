import { EcsApiError, type CallOptions, type EcsApi } from './api.js';

export interface RetryPolicy {
  /** Stop retrying once this much time has passed since the first attempt (per action). */
  readonly budgetMs: number | ((action: string) => number);
  readonly baseMs: number;
  readonly maxMs: number;
  /** Each attempt's own timeout (connect + read). */
  readonly attemptTimeoutMs: number;
  /** An attempt with less time than this before the deadline is not started. */
  readonly minAttemptMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * Retries retryable failures with full-jitter exponential backoff within one time budget.
 * Safe for CreateSnapshotGroup only because it carries a ClientToken. With a deadline (the
 * frozen window's), no attempt outlives it: each attempt's timeout is cut to what is left,
 * and no attempt starts, nor a wait, that could not end before it.
 */
export function withRetry(api: EcsApi, p: RetryPolicy): EcsApi {
  const sleep = p.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = p.random ?? Math.random;
  const minAttempt = p.minAttemptMs ?? 500;
  return {
    async call<T>(action: string, params: Record<string, unknown>, o: CallOptions = {}) {
      const start = Date.now();
      const budget = typeof p.budgetMs === 'function' ? p.budgetMs(action) : p.budgetMs;
      const left = () => o.deadline?.remainingMs() ?? Infinity;
      let last: unknown;
      for (let attempt = 0; ; attempt++) {
        if (left() < minAttempt) {
          // An attempt was sent already: its failure stands (it may have reached the service).
          if (attempt > 0) throw last;
          throw new EcsApiError(
            'Network.Deadline',
            `${action} not sent: the freeze deadline leaves ${Math.round(left())} ms`,
            undefined,
            undefined,
          );
        }
        try {
          return await api.call<T>(action, params, {
            timeoutMs: Math.min(p.attemptTimeoutMs, left()),
          });
        } catch (e) {
          last = e;
          const wait = Math.floor(random() * Math.min(p.maxMs, p.baseMs * 2 ** attempt));
          if (!isRetryable(e) || Date.now() - start + wait > budget) throw e;
          if (wait + minAttempt > left()) throw e;
          await sleep(wait);
        }
      }
    },
  };
}

/** Worth another try: throttling, service unavailable, 5xx, transport failures. */
export function isRetryable(e: unknown): boolean {
  if (!(e instanceof EcsApiError)) return false;
  return (
    /^Throttling|\.Throttling$|^ServiceUnavailable|^InternalError$|^Network\.|^OperationConflict$|^IdempotentProcessing$/.test(
      e.code,
    ) ||
    (e.httpStatus !== undefined && e.httpStatus >= 500)
  );
}
