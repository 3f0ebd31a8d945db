import { isRetryable } from './errors.js';
import type { EcsApi } from './client.js';

export interface RetryPolicy {
  /** Stop retrying once this much time has passed since the first attempt (per action). */
  readonly budgetMs: number | ((action: string) => number);
  readonly baseMs: number;
  readonly maxMs: number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

/**
 * Retries retryable failures with full-jitter exponential backoff within one time budget.
 * Safe for CreateSnapshotGroup only because it carries a ClientToken.
 */
export function withRetry(api: EcsApi, p: RetryPolicy): EcsApi {
  const sleep = p.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = p.random ?? Math.random;
  return {
    async call<T>(action: string, params: Record<string, unknown>): Promise<T> {
      const start = Date.now();
      const budget = typeof p.budgetMs === 'function' ? p.budgetMs(action) : p.budgetMs;
      for (let attempt = 0; ; attempt++) {
        try {
          return await api.call<T>(action, params);
        } catch (e) {
          const wait = Math.floor(random() * Math.min(p.maxMs, p.baseMs * 2 ** attempt));
          if (!isRetryable(e) || Date.now() - start + wait > budget) throw e;
          await sleep(wait);
        }
      }
    },
  };
}
