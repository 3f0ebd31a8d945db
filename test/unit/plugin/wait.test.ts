import { getEventListeners } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import type { GroupInfo } from '../../../src/engines/types.js';
import { sleepUnlessInterrupted, waitGroup } from '../../../src/plugin/wait.js';
import { harness } from '../../support/fakes.js';

const group = (status: GroupInfo['status'], snaps: [string, number][]): GroupInfo => ({
  id: 'ssg-w',
  name: 'w',
  description: '',
  createdAt: '2026-12-06T00:00:00Z',
  clientToken: 'token',
  instantAccess: false,
  instantAccessRetentionDays: 0,
  status,
  snapshots: snaps.map(([s, progress], i) => ({
    id: `s-${i + 1}`,
    diskId: `d-${i + 1}`,
    status: s as GroupInfo['snapshots'][number]['status'],
    progress,
    sizeBytes: 2 ** 30,
    createdAt: '2026-12-06T00:00:00Z',
    tags: {},
  })),
});

/** An engine whose describeGroup answers these groups in turn (the last one for good). */
function answering(...answers: GroupInfo[]) {
  const h = harness();
  let n = 0;
  h.engine.describeGroup = async () => answers[Math.min(n++, answers.length - 1)]!;
  const progress: string[] = [];
  return {
    h,
    deps: { ...h.deps, progress: (l: string) => progress.push(l) },
    progress,
    polls: () => n,
  };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as { message: string; exitCode: number },
  );

describe('waitGroup', () => {
  it('an accomplished group is not polled; the vendor lines say so', async () => {
    const a = answering();
    const g = group('accomplished', [['accomplished', 100]]);
    expect(await waitGroup(a.deps, g, 60)).toBe(g);
    expect(a.polls()).toBe(0);
    const log = a.h.out.join('');
    expect(log).toContain('Finished Quering SnapshotGroup Progress');
    expect(log).toMatch(
      /Finish SnapshotGroup =ssg-w Creation, TotalCost=[\d.]+(ns|µs|ms|s), QueryCost=/,
    );
  });

  it('shows the average progress and the snapshots available while it polls; the log only every 10 s', async () => {
    const a = answering(
      group('progressing', [
        ['accomplished', 100],
        ['progressing', 20],
      ]),
      group('accomplished', [
        ['accomplished', 100],
        ['accomplished', 100],
      ]),
    );
    await waitGroup(
      a.deps,
      group('progressing', [
        ['progressing', 10],
        ['progressing', 30],
      ]),
      60,
    );
    expect(a.progress).toEqual([
      'SnapshotGroup ssg-w progress: 20% (0/2 snapshots available)',
      'SnapshotGroup ssg-w progress: 60% (1/2 snapshots available)',
    ]);
    expect(a.h.out.join('')).not.toContain('progress:');
  });

  it('a group without snapshots shows 0%', async () => {
    const a = answering(group('accomplished', []));
    await waitGroup(a.deps, group('progressing', []), 60);
    expect(a.progress).toEqual(['SnapshotGroup ssg-w progress: 0% (0/0 snapshots available)']);
  });

  it('a failed group: exit 5', async () => {
    const a = answering(group('failed', [['failed', 0]]));
    const e = await failure(waitGroup(a.deps, group('progressing', [['progressing', 0]]), 60));
    expect(e).toMatchObject({ exitCode: 5, message: 'snapshot group ssg-w failed' });
  });

  it.each([
    [
      'a snapshot short of 100 %',
      ['accomplished', 99],
      'snapshot s-2 of disk d-2 is accomplished (99%)',
    ],
    ['a snapshot not accomplished', ['failed', 100], 'snapshot s-2 of disk d-2 is failed (100%)'],
  ] as const)('an accomplished group with %s: exit 7', async (_, bad, message) => {
    const a = answering();
    const g = group('accomplished', [
      ['accomplished', 100],
      [bad[0], bad[1]],
    ]);
    const e = await failure(waitGroup(a.deps, g, 60));
    expect(e).toMatchObject({ exitCode: 7, message });
  });

  it('not accomplished within GroupTimeoutInSeconds: exit 6, naming the bound', async () => {
    const stuck = group('progressing', [['progressing', 50]]);
    const a = answering(stuck);
    const e = await failure(waitGroup(a.deps, stuck, 1));
    expect(e).toMatchObject({
      exitCode: 6,
      message: 'snapshot group ssg-w not accomplished after 1s (GroupTimeoutInSeconds)',
    });
    expect(a.polls()).toBeGreaterThanOrEqual(1);
  });

  it('polls at 0.5, 1, 2, 4, then every 5 s; logs the progress every 10 s at most', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
    try {
      const polledAt: number[] = [];
      const h = harness();
      const t0 = performance.now();
      h.engine.describeGroup = async () => {
        const at = performance.now() - t0;
        polledAt.push(at);
        return at < 25_000
          ? group('progressing', [['progressing', 50]])
          : group('accomplished', [['accomplished', 100]]);
      };
      const done = waitGroup(h.deps, group('progressing', [['progressing', 40]]), 60);
      await vi.advanceTimersByTimeAsync(30_000);
      await done;
      expect(polledAt).toEqual([500, 1500, 3500, 7500, 12_500, 17_500, 22_500, 27_500]);
      // logged when 10 s had passed since the last line: at 12.5 s and (exactly 10 s later) 22.5 s
      expect(h.out.filter((l) => l.includes('progress:'))).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('TotalCost counts from the call when it is given', async () => {
    const a = answering();
    await waitGroup(a.deps, group('accomplished', []), 60, performance.now() - 90_000);
    expect(a.h.out.join('')).toMatch(/TotalCost=1m3\d\.\d+s, QueryCost=[\d.]+(ns|µs|ms)/);
  });
});

describe('sleepUnlessInterrupted', () => {
  it('ends at once on an interrupt, and leaves no listener behind', async () => {
    const c = new AbortController();
    const t0 = performance.now();
    const p = sleepUnlessInterrupted(c.signal, 60_000);
    c.abort('SIGINT');
    await p;
    expect(performance.now() - t0).toBeLessThan(30_000);
    expect(getEventListeners(c.signal, 'abort')).toEqual([]);
  });

  it('a sleep that ends by its time leaves no listener on the signal either', async () => {
    const c = new AbortController();
    await sleepUnlessInterrupted(c.signal, 1);
    expect(getEventListeners(c.signal, 'abort')).toEqual([]);
  });
});
