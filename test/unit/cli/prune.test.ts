import { describe, expect, it } from 'vitest';
import { pruneCommand, PRUNE_EXIT, type PruneArgs } from '../../../src/cli/commands/prune.js';
import { AgentError } from '../../../src/errors/errors.js';
import { CREATED_BY } from '../../../src/retention/mark.js';
import { MemoryEngine } from '../../support/fakes.js';

/** A memory engine holding groups made on the given days, all with the agent's mark. */
async function engineWith(
  days: number[],
  tags: Record<string, string> = { [CREATED_BY.key]: CREATED_BY.value },
) {
  const e = new MemoryEngine();
  for (const d of days) {
    const g = await e.createGroup({
      name: 'nightly',
      description: '',
      diskIds: e.disks.map((x) => x.id),
      instantAccess: false,
      instantAccessRetentionDays: 1,
      clientToken: `t${d}`,
      tags,
    });
    e.groups.set(g.id, { ...g, createdAt: `2027-01-${String(d).padStart(2, '0')}T02:00:00.000Z` });
  }
  return e;
}

function io() {
  const out: string[] = [];
  const err: string[] = [];
  const stdin = async () => '';
  return {
    io: {
      out: (s: string) => void out.push(s),
      err: (s: string) => void err.push(s),
      readStdin: stdin,
    },
    out,
    err,
  };
}

const lock = () => {
  const state = { taken: 0, released: 0 };
  return {
    state,
    take: () => (state.taken++, { held: () => true, release: () => void state.released++ }),
  };
};

const args = (o: Partial<PruneArgs>): PruneArgs => ({ dryRun: false, json: false, ...o });

describe('groups prune', () => {
  it('--dry-run prints every group, keep or remove and why, and deletes nothing', async () => {
    const e = await engineWith([1, 2, 3]);
    const t = io();
    const l = lock();
    const code = await pruneCommand(args({ keepLast: '1', dryRun: true }), t.io, () => e, l.take);
    expect(code).toBe(PRUNE_EXIT.Done);
    expect(e.groups.size).toBe(3);
    const lines = t.out.join('').trimEnd().split('\n');
    expect(lines[0]).toMatch(/^name\s+group\s+created \(UTC\)\s+consistency\s+action\s+why$/);
    expect(lines.slice(1, 4).map((l) => l.split(/\s{2,}/).slice(2))).toEqual([
      ['2027-01-03 02:00', 'None', 'keep', 'last'],
      ['2027-01-02 02:00', 'None', 'remove'],
      ['2027-01-01 02:00', 'None', 'remove'],
    ]);
    expect(lines[4]).toBe('dry run: 1 kept, 2 would be removed');
    expect(l.state).toEqual({ taken: 1, released: 1 });
  });

  it('deletes what the plan removes, under the lock, and says so in JSON', async () => {
    const e = await engineWith([1, 2, 3]);
    const t = io();
    const code = await pruneCommand(
      args({ keepDaily: '2', json: true }),
      t.io,
      () => e,
      lock().take,
    );
    expect(code).toBe(0);
    const r = JSON.parse(t.out.join(''));
    expect(r).toMatchObject({ ExitCode: 0, DryRun: false, NotDeleted: [] });
    expect(r.Groups.map((g: { Keep: boolean; Reasons: string[] }) => [g.Keep, g.Reasons])).toEqual([
      [true, ['daily 2027-01-03']],
      [true, ['daily 2027-01-02']],
      [false, []],
    ]);
    expect(r.Deleted).toEqual([r.Groups[2].SnapshotGroupId]);
    expect([...e.groups.keys()].sort()).toEqual(
      [r.Groups[0].SnapshotGroupId, r.Groups[1].SnapshotGroupId].sort(),
    );
  });

  it('groups not made by this agent are not even listed', async () => {
    const e = await engineWith([1, 2], {});
    const t = io();
    expect(await pruneCommand(args({ keepLast: '1' }), t.io, () => e, lock().take)).toBe(0);
    expect(e.groups.size).toBe(2);
    expect(t.out.join('')).toMatch(/0 kept, 0 removed/);
  });

  it('no keep option, or a bad one: exit 2, one line, the lock never taken, nothing listed', async () => {
    for (const bad of [{}, { keepDaily: '-1' }, { keepWithin: '3x' }]) {
      const e = await engineWith([1, 2]);
      const t = io();
      const l = lock();
      const listed = { n: 0 };
      const list = e.listGroups.bind(e);
      e.listGroups = () => (listed.n++, list());
      expect(await pruneCommand(args(bad), t.io, () => e, l.take)).toBe(PRUNE_EXIT.BadParameters);
      expect(t.err.join('')).toMatch(/^groups prune: [^\n]*\n$/);
      expect([l.state.taken, listed.n, e.groups.size]).toEqual([0, 0, 2]);
    }
  });

  it('another run holding the lock: exit 16, nothing deleted', async () => {
    const e = await engineWith([1, 2, 3]);
    const t = io();
    const busy = () => {
      throw new AgentError(
        'SnapshotInProgress',
        'another app-snapshot-plugin run (pid 7) is in progress',
      );
    };
    expect(await pruneCommand(args({ keepLast: '1' }), t.io, () => e, busy)).toBe(PRUNE_EXIT.Busy);
    expect(e.groups.size).toBe(3);
    expect(t.err.join('')).toMatch(/pid 7/);
  });

  it('a delete that keeps failing: listed, exit 20, the lock released', async () => {
    const e = await engineWith([1, 2]);
    e.fail.delete = new AgentError('CreateGroupFailed', 'ServiceUnavailable');
    const t = io();
    const l = lock();
    const code = await pruneCommand(args({ keepLast: '1', json: true }), t.io, () => e, l.take);
    expect(code).toBe(PRUNE_EXIT.SomeNotDeleted);
    const r = JSON.parse(t.out.join(''));
    expect(r.NotDeleted).toEqual([
      { SnapshotGroupId: r.Groups[1].SnapshotGroupId, Error: 'ServiceUnavailable' },
    ]);
    expect(l.state.released).toBe(1);
  }, 20_000);
});
