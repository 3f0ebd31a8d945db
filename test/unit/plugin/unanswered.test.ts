// The look for a group an unanswered call may have made, and the delete of one, on a fake
// clock: when each try happens and when the agent gives up. The outcomes of a run are in
// run.test.ts ("a group call whose answer never came").
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { GroupCallUnanswered } from '../../../src/engines/types.js';
import { settleUnanswered } from '../../../src/plugin/unanswered.js';
import { AgentError } from '../../../src/errors/errors.js';
import { harness, params } from '../../support/fakes.js';

beforeEach(() => void vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] }));
afterEach(() => void vi.useRealTimers());

const request = {
  name: 'nightly',
  description: '',
  diskIds: ['d-1'],
  instantAccess: false,
  instantAccessRetentionDays: 0,
  clientToken: 'tok-1',
};

/** settleUnanswered on the fake clock, with the times (ms from the start) of each engine call. */
async function settle(words: string[], o: { find?: boolean; deleteFails?: boolean } = {}) {
  const h = harness();
  const t0 = performance.now();
  const finds: number[] = [];
  const deletes: number[] = [];
  const made = { ...(await h.engine.createGroup(request)) };
  h.engine.findGroup = async () => (finds.push(performance.now() - t0), o.find ? made : undefined);
  h.engine.deleteGroup = async () => {
    deletes.push(performance.now() - t0);
    if (o.deleteFails) throw new AgentError('CreateGroupFailed', 'IncorrectSnapshotGroupStatus');
  };
  const warnings: string[] = [];
  const done = settleUnanswered(
    h.deps,
    params(...words),
    {
      request,
      sentAt: new Date(),
      error: new GroupCallUnanswered('socket hang up'),
      frozen: true,
      freezeEndedEarly: undefined,
    },
    (m) => warnings.push(m),
  );
  await vi.advanceTimersByTimeAsync(120_000);
  return { out: await done, finds, deletes, log: h.out, warnings };
}

describe('looking for the group an unanswered call made', () => {
  it('says what it looks for, then looks at 0, 0.25, 0.75, 1.75 s and every 2 s up to 30 s', async () => {
    const s = await settle(['-GroupTimeoutInSeconds=600']);
    expect(s.log[0]).toContain(
      'CreateSnapshotGroup got no answer (socket hang up): looking for a group it made (Name=nightly, ClientToken=tok-1)',
    );
    const every2s = Array.from({ length: 14 }, (_, i) => 3750 + 2000 * i);
    expect(s.finds).toEqual([0, 250, 750, 1750, ...every2s]);
    expect(s.out.error.message).toBe('socket hang up; no group came of it within 30 s');
  });

  it('GroupTimeoutInSeconds bounds the look when it is shorter', async () => {
    const s = await settle(['-GroupTimeoutInSeconds=5']);
    expect(s.finds).toEqual([0, 250, 750, 1750, 3750]); // the next (5.75 s) would pass 5 s
    expect(s.out.error.message).toBe('socket hang up; no group came of it within 5 s');
  });
});

describe('deleting it (DeleteUnclaimedGroup=true)', () => {
  it('retries a refusal at 1, 3, 7 s and every 5 s, and gives up before 60 s, keeping it', async () => {
    const s = await settle(['-DeleteUnclaimedGroup=true'], { find: true, deleteFails: true });
    const every5s = Array.from({ length: 11 }, (_, i) => 7000 + 5000 * i);
    expect(s.deletes).toEqual([0, 1000, 3000, ...every5s]);
    expect(s.out.group?.id).toBe('ssg-mem1');
    expect(s.log.join('\n')).toContain(
      'could not delete snapshot group ssg-mem1: IncorrectSnapshotGroupStatus',
    );
  });

  it('deleted at the first try: no group is reported', async () => {
    const s = await settle(['-DeleteUnclaimedGroup=true'], { find: true });
    expect(s.deletes).toEqual([0]);
    expect(s.out.group).toBeUndefined();
    expect(s.out.error.message).toMatch(/it made was deleted \(DeleteUnclaimedGroup=true\)$/);
  });
});
