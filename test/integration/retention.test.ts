// Retention on a real lab with the built agent: -RetentionDays recorded on every snapshot,
// `groups prune` (dry run, real, twice, twice at once, refused without a keep option), and the
// keep options of a run pruning after a good run only.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireRoot, runCli, TestLab, withJson } from '../support/lab.js';
import { vendorStyleScripts } from '../support/scripts.js';

describe.skipIf(!requireRoot())('retention on a real lab', () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await new TestLab().up(2);
  });
  afterAll(async () => {
    await lab?.down();
  });

  const groupDirs = () =>
    existsSync(join(lab.pool, 'groups')) ? readdirSync(join(lab.pool, 'groups')).sort() : [];
  const groupJson = (id: string) =>
    JSON.parse(readFileSync(join(lab.pool, 'groups', id, 'group.json'), 'utf8'));
  const prune = async (...args: string[]) =>
    withJson(
      await runCli(
        ['groups', 'prune', `--pool=${lab.pool}`, '--engine=local', '--output=json', ...args],
        {
          env: lab.env,
        },
      ),
    );

  it('-RetentionDays: every snapshot keeps it in group.json, the result and an ExpiresAt tag say when', async () => {
    const r = await lab.snapshot(['-Name=kept', '-RetentionDays=3']);
    expect(r.json.ExitCode).toBe(0);
    const g = groupJson(r.json.SnapshotGroupId);
    expect(g.tags).toEqual({ CreatedBy: 'app-snapshot-plugin' });
    expect(g.snapshots.map((s: { retentionDays: number }) => s.retentionDays)).toEqual([3, 3]);
    const expires = new Date(Date.parse(g.createdAt) + 3 * 86_400_000).toISOString();
    expect(r.json.Retention).toEqual({ Days: 3, ExpiresAt: expires });
    expect(r.json.Snapshots.map((s: { Tags: Record<string, string> }) => s.Tags.ExpiresAt)).toEqual(
      [expires, expires],
    );
  });

  it('groups prune: refused without a keep option, a dry run deletes nothing, then it prunes, twice', async () => {
    const made: string[] = [];
    for (let i = 0; i < 3; i++)
      made.push((await lab.snapshot(['-Name=nightly'])).json.SnapshotGroupId);
    const before = groupDirs();
    const none = await prune();
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/^groups prune: prune needs at least one keep option/);
    const dry = await prune('--keep-last=1', '--name=nightly', '--dry-run');
    expect(dry.code).toBe(0);
    expect(
      dry.json.Groups.map((g: { SnapshotGroupId: string; Keep: boolean }) => [
        g.SnapshotGroupId,
        g.Keep,
      ]),
    ).toEqual([
      [made[2], true],
      [made[1], false],
      [made[0], false],
    ]);
    expect(groupDirs()).toEqual(before);
    const real = await prune('--keep-last=1', '--name=nightly');
    expect(real.code).toBe(0);
    expect(real.json.Deleted).toEqual([made[1], made[0]]);
    expect(groupDirs()).toEqual(before.filter((d) => d !== made[0] && d !== made[1]));
    const again = await prune('--keep-last=1', '--name=nightly');
    expect([again.code, again.json.Deleted]).toEqual([0, []]);
    // The other name was never a candidate.
    expect(groupDirs()).toContain(groupDirs().find((d) => groupJson(d).name === 'kept'));
  });

  it('two prunes at once: one prunes, the other waits its turn or says the lock is held; nothing breaks', async () => {
    for (let i = 0; i < 3; i++) await lab.snapshot(['-Name=race']);
    const [a, b] = await Promise.all([
      prune('--keep-last=1', '--name=race'),
      prune('--keep-last=1', '--name=race'),
    ]);
    expect([a.code, b.code].sort()).toEqual(expect.arrayContaining([0]));
    for (const r of [a, b]) expect([0, 16]).toContain(r.code);
    const left = groupDirs().filter((d) => groupJson(d).name === 'race');
    expect(left).toHaveLength(1);
  });

  it('a run with keep options prunes its name after a good run, never after a failed one', async () => {
    for (let i = 0; i < 2; i++) await lab.snapshot(['-Name=daily']);
    const count = () => groupDirs().filter((d) => groupJson(d).name === 'daily').length;
    expect(count()).toBe(2);
    const s = vendorStyleScripts(join(lab.root, 'scripts-fail'), { preExit: 1 });
    const bad = await lab.snapshot([
      '-Name=daily',
      '-KeepLast=1',
      `-PreScriptPath=${s.pre}`,
      `-PostScriptPath=${s.post}`,
    ]);
    expect(bad.json.ExitCode).toBe(9);
    expect(count()).toBe(2);
    const good = await lab.snapshot(['-Name=daily', '-KeepLast=1']);
    expect(good.json.ExitCode).toBe(0);
    expect(good.json.Pruned).toEqual({
      Kept: [good.json.SnapshotGroupId],
      Removed: expect.any(Array),
      NotRemoved: [],
    });
    expect(good.json.Pruned.Removed).toHaveLength(2);
    expect(count()).toBe(1);
  });
});
