// The built-in quiescers' end after the thaw: every ms between the thaw and the release is a
// ms the application waits. Without afterThaw, the release goes out with the verification (one
// round trip); with it, the release waits for afterThaw, which waits for the verification.
import { describe, expect, it } from 'vitest';
import type { AppQuiescer, Held } from '../../../src/apps/types.js';
import { AppsPhase } from '../../../src/plugin/apps-phase.js';
import { emptyResult } from '../../../src/plugin/result.js';
import { RunLog } from '../../../src/report/logger.js';

/** A Held whose verify answers only when `answer()` is called: a round trip in flight. */
function heldInFlight(withAfterThaw: boolean) {
  const calls: string[] = [];
  let answer: (kept: boolean) => void = () => undefined;
  const held: Held = {
    mode: 'test-lock',
    facts: {},
    verify: () => {
      calls.push('verify');
      return new Promise((r) => (answer = r));
    },
    release: async () => void calls.push('release'),
    ...(withAfterThaw ? { afterThaw: async () => void calls.push('afterThaw') } : {}),
  };
  const q: AppQuiescer = {
    name: 'db',
    type: 'mysql',
    prepare: async () => undefined,
    plan: () => 'test-lock',
    quiesce: async () => held,
    close: async () => undefined,
  };
  return { q, calls, answer: (kept: boolean) => answer(kept) };
}

const tick = () => new Promise((r) => setTimeout(r, 10));

/** One app quiesced, its finish() started, given a moment to send what it sends at once. */
async function finishing(withAfterThaw: boolean) {
  const t = heldInFlight(withAfterThaw);
  const result = emptyResult();
  const phase = new AppsPhase([t.q], new RunLog(() => undefined), result);
  await phase.quiesce(10);
  const done = phase.finish([]);
  await tick();
  return { ...t, result, done };
}

describe('AppsPhase.finish', () => {
  it('without afterThaw: the release is sent right after the verification, before its answer', async () => {
    const t = await finishing(false);
    expect(t.calls).toEqual(['verify', 'release']);
    t.answer(true);
    expect(await t.done).toBe(true);
  });

  it('a lock lost before the thaw is still released, and the run is not AppConsistent', async () => {
    const t = await finishing(false);
    t.answer(false);
    expect(await t.done).toBe(false);
    expect(t.calls).toEqual(['verify', 'release']);
    expect(t.result.Apps).toEqual([expect.objectContaining({ Name: 'db', Held: false })]);
  });

  it('with afterThaw: verify, then afterThaw, then release, each after the one before', async () => {
    const t = await finishing(true);
    expect(t.calls).toEqual(['verify']);
    t.answer(true);
    expect(await t.done).toBe(true);
    expect(t.calls).toEqual(['verify', 'afterThaw', 'release']);
  });
});
