// What a snapshot may claim (src/plugin/consistency.ts), as tables: the intent before the run,
// whether the freeze held across the point in time, the claim, the tags, and the result.
import { describe, expect, it } from 'vitest';
import type { GroupInfo } from '../../../src/engines/types.js';
import type { ThawOutcome } from '../../../src/freeze/types.js';
import {
  decide,
  freezeHeldUntil,
  intentOf,
  snapshotsOf,
  tagSet,
  taggedIds,
} from '../../../src/plugin/consistency.js';
import type { RunResult } from '../../../src/plugin/result.js';

describe('intentOf: what a run aims for', () => {
  it.each([
    // pre-script, apps, EnableFsFreeze → intent
    [false, 0, true, 'FsConsistent'],
    [false, 0, false, 'None'],
    [true, 0, true, 'AppConsistent'],
    [true, 0, false, 'AppConsistent'], // the vendor's rule: the user's scripts vouch
    [false, 1, true, 'AppConsistent'],
    [false, 2, false, 'None'], // a built-in quiescer never vouches without a freeze
    [true, 1, false, 'None'],
  ] as const)(
    'pre-script %s, %i apps, freeze %s: %s',
    (preScript, apps, enableFsFreeze, intent) => {
      expect(intentOf({ preScript, apps, enableFsFreeze })).toBe(intent);
    },
  );
});

describe('freezeHeldUntil: did the freeze hold across the point in time?', () => {
  const thaw = (reason: ThawOutcome['reason'], thawStartNs = '1000'): ThawOutcome => ({
    reason,
    thawStartNs,
    thawEndNs: String(BigInt(thawStartNs) + 10n),
    thawed: ['/data'],
  });

  it('a thaw on request came after the point in time by construction', () => {
    expect(freezeHeldUntil(thaw('requested'), undefined)).toEqual({ ok: true });
  });

  it('a lost watchdog: nobody can know when the freeze ended', () => {
    expect(freezeHeldUntil(thaw('watchdog-lost', '9999'), 1n)).toEqual({
      ok: false,
      why: 'the freeze watchdog died or stopped answering: when the freeze ended cannot be known',
    });
  });

  it('any other thaw held only if it began at or after the point in time', () => {
    expect(freezeHeldUntil(thaw('deadline', '1000'), 999n)).toEqual({ ok: true });
    expect(freezeHeldUntil(thaw('deadline', '1000'), 1000n)).toEqual({ ok: true });
    expect(freezeHeldUntil(thaw('deadline', '1000'), 1001n)).toMatchObject({ ok: false });
    expect(freezeHeldUntil(thaw('signal', '1000'), undefined)).toMatchObject({ ok: false });
  });

  it.each([
    ['deadline', 'by the watchdog: deadline'],
    ['agent-gone', 'by the watchdog: agent gone'],
    ['signal', 'by the watchdog: signal'],
    ['freeze-failed', 'by the watchdog: freeze failed'],
    ['agent-deadline', 'by the agent at the deadline: the watchdog had not thawed'],
  ] as const)('says who thawed: %s', (reason, by) => {
    expect(freezeHeldUntil(thaw(reason, '5'), 6n)).toEqual({
      ok: false,
      why: `the filesystems were thawed (${by}) before the snapshot point was fixed`,
    });
  });
});

describe('decide: what the snapshots may claim', () => {
  it.each([
    // intent, EnableFsFreeze, scripts ok, freeze held → claim
    ['AppConsistent', true, true, true, 'AppConsistent'],
    ['AppConsistent', true, false, true, 'FsConsistent'],
    ['AppConsistent', true, true, false, 'None'],
    ['FsConsistent', true, true, true, 'FsConsistent'],
    ['FsConsistent', true, true, false, 'None'],
    ['AppConsistent', false, true, false, 'AppConsistent'],
    ['AppConsistent', false, false, false, 'None'],
    ['None', false, true, true, 'None'],
    ['None', true, true, true, 'FsConsistent'],
  ] as const)('%s, freeze %s, scripts ok %s, held %s: %s', (intent, freeze, ok, held, claim) => {
    expect(decide(intent, freeze, ok, held)).toBe(claim);
  });
});

const group: GroupInfo = {
  id: 'ssg-1',
  name: 'g',
  description: '',
  status: 'accomplished',
  createdAt: '2026-12-07T00:00:00Z',
  clientToken: 't',
  instantAccess: false,
  instantAccessRetentionDays: 0,
  snapshots: ['d-1', 'd-2'].map((diskId, i) => ({
    id: `s-${i + 1}`,
    diskId,
    status: 'accomplished' as const,
    progress: 100,
    sizeBytes: 1,
    createdAt: '2026-12-07T00:00:00Z',
    tags: { Owner: 'dba' },
  })),
};

describe('the tags and the result', () => {
  const apps: RunResult['Apps'] = [
    { Name: 'db1', Type: 'mysql', Mode: 'lock', HeldMs: 5, Held: true, Facts: { Gtid: '0-1-7' } },
    {
      Name: 'db2',
      Type: 'pg',
      Mode: 'lock',
      HeldMs: 5,
      Held: true,
      Facts: { Lsn: 'x'.repeat(200) },
    },
  ];

  it('AppConsistent carries what the quiescers recorded, cut to 128 characters; FsConsistent does not', () => {
    expect(tagSet('AppConsistent', apps)).toEqual({
      AppConsistent: 'True',
      'db1.Gtid': '0-1-7',
      'db2.Lsn': 'x'.repeat(128),
    });
    expect(tagSet('FsConsistent', apps)).toEqual({ FsConsistent: 'True' });
  });

  it('a disk left uncovered (a filesystem that could not be frozen) gets no claim', () => {
    expect(taggedIds(group, { uncoveredDisks: ['d-2'] })).toEqual(['s-1']);
    expect(taggedIds(group, { uncoveredDisks: [] })).toEqual(['s-1', 's-2']);
    expect(taggedIds(group, undefined)).toEqual(['s-1', 's-2']); // nothing was to be frozen
  });

  it('the result lists every snapshot: its own tags, and ours where we tagged', () => {
    expect(snapshotsOf(group, { ids: ['s-1'], tags: { FsConsistent: 'True' } })).toEqual([
      { SnapshotId: 's-1', DiskId: 'd-1', Tags: { Owner: 'dba', FsConsistent: 'True' } },
      { SnapshotId: 's-2', DiskId: 'd-2', Tags: { Owner: 'dba' } },
    ]);
    expect(snapshotsOf(group, undefined).map((s) => s.Tags)).toEqual([
      { Owner: 'dba' },
      { Owner: 'dba' },
    ]);
  });
});
