import { describe, expect, it } from 'vitest';
import { AgentError } from '../../../src/errors/errors.js';
import {
  CREATED_BY,
  candidates,
  globMatch,
  prune,
  type PrunableGroup,
  type PruneEngine,
} from '../../../src/retention/prune.js';

const mark = { [CREATED_BY.key]: CREATED_BY.value };
const group = (
  id: string,
  createdAt: string,
  more: Partial<PrunableGroup> & { tags?: Record<string, string> } = {},
): PrunableGroup => ({
  id,
  name: more.name ?? 'db',
  status: more.status ?? 'accomplished',
  createdAt,
  snapshots: more.snapshots ?? [
    { tags: { ...mark, FsConsistent: 'True', ...more.tags } },
    { tags: { ...mark, FsConsistent: 'True', ...more.tags } },
  ],
});

/** Groups in a map; deleteGroup removes (or fails as told), listGroups lists what is left. */
class Groups implements PruneEngine {
  readonly calls: string[] = [];
  failures = new Map<string, Error[]>();
  constructor(readonly all: Map<string, PrunableGroup>) {}
  async listGroups() {
    return [...this.all.values()];
  }
  async deleteGroup(id: string) {
    this.calls.push(id);
    const f = this.failures.get(id)?.shift();
    if (f) throw f;
    if (!this.all.delete(id)) throw new Error(`InvalidSnapshotGroupId.NotFound: ${id}`);
  }
}
const engine = (gs: PrunableGroup[]) => new Groups(new Map(gs.map((g) => [g.id, g])));
const noSleep = async () => undefined;

describe('prune', () => {
  const day = (d: number) => `2027-01-${String(d).padStart(2, '0')}T01:00:00.000Z`;

  it('a dry run decides and deletes nothing', async () => {
    const e = engine([group('a', day(1)), group('b', day(2)), group('c', day(3))]);
    const r = await prune(e, { policy: { last: 1 }, dryRun: true });
    expect(r.decisions.map((d) => [d.group.id, d.keep])).toEqual([
      ['c', true],
      ['b', false],
      ['a', false],
    ]);
    expect(r.deleted).toEqual([]);
    expect(e.calls).toEqual([]);
    expect(e.all.size).toBe(3);
  });

  it('deletes what the plan removes, and a second prune finds nothing more to do', async () => {
    const e = engine([group('a', day(1)), group('b', day(2)), group('c', day(3))]);
    expect((await prune(e, { policy: { last: 1 }, dryRun: false })).deleted).toEqual(['b', 'a']);
    expect([...e.all.keys()]).toEqual(['c']);
    const again = await prune(e, { policy: { last: 1 }, dryRun: false });
    expect(again.deleted).toEqual([]);
    expect(again.failed).toEqual([]);
  });

  it('only groups this agent made, and only the names asked for', async () => {
    const e = engine([
      group('by-hand', day(1), { snapshots: [{ tags: { FsConsistent: 'True' } }] }),
      group('half', day(1), { snapshots: [{ tags: mark }, { tags: {} }] }),
      group('web1', day(1), { name: 'web' }),
      group('web2', day(2), { name: 'web' }),
      group('db1', day(1)),
      group('db2', day(2)),
    ]);
    const r = await prune(e, {
      policy: { last: 1 },
      names: (n) => globMatch('w*', n),
      dryRun: false,
    });
    expect(r.deleted).toEqual(['web1']);
    expect([...e.all.keys()].sort()).toEqual(['by-hand', 'db1', 'db2', 'half', 'web2']);
  });

  it('a delete that fails is retried, then listed with its reason; the others go on', async () => {
    const e = engine([group('a', day(1)), group('b', day(2)), group('c', day(3))]);
    e.failures.set('b', [
      new Error('Throttling'),
      new Error('Throttling'),
      new Error('Throttling'),
    ]);
    e.failures.set('a', [new Error('ServiceUnavailable')]);
    const r = await prune(e, { policy: { last: 1 }, dryRun: false, attempts: 3, sleep: noSleep });
    expect(r.deleted).toEqual(['a']);
    expect(r.failed).toEqual([{ id: 'b', error: 'Throttling' }]);
    expect(e.calls).toEqual(['b', 'b', 'b', 'a', 'a']);
  });

  it('a group already gone (another prune was first) counts as deleted; one still being made is not retried', async () => {
    const e = engine([group('a', day(1)), group('b', day(2)), group('c', day(3))]);
    e.failures.set('b', [new Error('InvalidSnapshotGroupId.NotFound')]);
    e.failures.set('a', [new AgentError('SnapshotInProgress', 'group a is still being created')]);
    const r = await prune(e, { policy: { last: 1 }, dryRun: false, sleep: noSleep });
    expect(r.deleted).toEqual(['b']);
    expect(r.failed).toEqual([{ id: 'a', error: 'group a is still being created' }]);
    expect(e.calls).toEqual(['b', 'a']);
  });

  it('sees consistency and group-wide tags through the snapshots', () => {
    const [app, mixed] = candidates([
      group('app', day(1), {
        snapshots: [
          { tags: { ...mark, AppConsistent: 'True', keep: 'yes' } },
          { tags: { ...mark, AppConsistent: 'True', keep: 'yes' } },
        ],
      }),
      group('mixed', day(2), {
        snapshots: [
          { tags: { ...mark, AppConsistent: 'True', keep: 'yes' } },
          { tags: { ...mark, FsConsistent: 'True', keep: 'no' } },
        ],
      }),
    ]);
    expect(app).toMatchObject({ consistency: 'AppConsistent', tags: { keep: 'yes' } });
    expect(mixed).toMatchObject({
      consistency: 'None',
      tags: { CreatedBy: 'app-snapshot-plugin' },
    });
    expect(mixed!.tags.keep).toBeUndefined();
  });

  it("the local engine's recorded retention: prune removes a group once all its snapshots expired", async () => {
    const kept = (days: (number | undefined)[]) =>
      group('r', day(1), {
        snapshots: days.map((d) => ({ tags: mark, ...(d ? { retentionDays: d } : {}) })),
      });
    const e = engine([
      { ...kept([2, 2]), id: 'expired' },
      { ...kept([2, 30]), id: 'one-still-kept' },
      { ...kept([2, undefined]), id: 'one-without' },
    ]);
    const now = Date.parse('2027-01-05T00:00:00Z');
    const r = await prune(e, { policy: { last: 5 }, dryRun: false, now });
    expect(r.decisions.find((d) => d.group.id === 'expired')).toMatchObject({
      keep: false,
      reasons: ['expired'],
    });
    expect(r.deleted).toEqual(['expired']);
    expect([...e.all.keys()].sort()).toEqual(['one-still-kept', 'one-without']);
  });

  it('globs', () => {
    expect(globMatch('db-*', 'db-nightly')).toBe(true);
    expect(globMatch('db-?', 'db-12')).toBe(false);
    expect(globMatch('a.b', 'axb')).toBe(false);
    expect(globMatch('*', '')).toBe(true);
  });
});
