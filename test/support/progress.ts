import { expect } from 'vitest';

/**
 * Waits until `list` (a writer's acknowledged commits) has grown by `n` (bounded). A proof
 * under load needs writes at a given moment, and a fixed sleep on a loaded host may see none:
 * wait for the writes themselves.
 */
export async function grown(list: readonly unknown[], n: number, limitMs = 60_000): Promise<void> {
  const from = list.length;
  const until = performance.now() + limitMs;
  while (list.length < from + n && performance.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
  }
  expect(
    list.length - from,
    `writes acknowledged within ${limitMs / 1000} s`,
  ).toBeGreaterThanOrEqual(n);
}
