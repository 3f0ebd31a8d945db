// The conformance suite every SnapshotEngine passes (see src/engines/types.ts).
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CreateGroupRequest, SnapshotEngine } from '../../src/engines/types.js';
import { AgentError } from '../../src/errors/errors.js';

export function describeEngineContract(
  label: string,
  make: () => Promise<SnapshotEngine> | SnapshotEngine,
): void {
  const request = async (
    engine: SnapshotEngine,
    over: Partial<CreateGroupRequest> = {},
  ): Promise<CreateGroupRequest> => ({
    name: 'contract',
    description: 'conformance',
    diskIds: (await engine.describeDisks()).map((d) => d.id),
    instantAccess: false,
    instantAccessRetentionDays: 1,
    clientToken: randomUUID(),
    ...over,
  });
  const settle = async (engine: SnapshotEngine, id: string) => {
    for (let i = 0; i < 100; i++) {
      const g = await engine.describeGroup(id);
      if (g.status !== 'progressing') return g;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('group never settled');
  };

  describe(`engine contract: ${label}`, () => {
    it('validates and describes disks with unique ids', async () => {
      const engine = await make();
      await engine.validate();
      const disks = await engine.describeDisks();
      expect(disks.length).toBeGreaterThan(0);
      expect(new Set(disks.map((d) => d.id)).size).toBe(disks.length);
    });

    it('names the directories it writes into while frozen by absolute path, if any', async () => {
      const engine = await make();
      for (const dir of engine.writesWhileFrozen?.() ?? []) expect(dir).toMatch(/^\//);
    });

    it('creates one group with one snapshot per disk that becomes accomplished', async () => {
      const engine = await make();
      const req = await request(engine);
      const g = await engine.createGroup(req);
      expect(g.id).toMatch(/^ssg-/);
      // Engines may return before the snapshots are listed (the cloud does): settle first.
      const done = await settle(engine, g.id);
      expect(done.snapshots.map((s) => s.diskId).sort()).toEqual([...req.diskIds].sort());
      for (const s of done.snapshots) expect(s.id).toMatch(/^s-/);
      expect(done.status).toBe('accomplished');
      expect(done.snapshots.every((s) => s.status === 'accomplished' && s.progress === 100)).toBe(
        true,
      );
      expect(done.name).toBe('contract');
    });

    it("keeps the request's tags as the group's: describe, list and find return them", async () => {
      const engine = await make();
      const tags = { CreatedBy: 'app-snapshot-plugin', run: 'contract-tags' };
      const req = await request(engine, { name: 'contract-tags', tags });
      const g = await engine.createGroup(req);
      expect((await settle(engine, g.id)).tags).toEqual(tags);
      expect((await engine.listGroups()).find((x) => x.id === g.id)?.tags).toEqual(tags);
      expect((await engine.findGroup(req, new Date(Date.now() - 60_000)))?.tags).toEqual(tags);
      // A request without tags makes a group without them.
      const plain = await engine.createGroup(await request(engine));
      expect(Object.keys((await settle(engine, plain.id)).tags ?? {})).toEqual([]);
    });

    it('sets retention on snapshots, extends it, never shortens it (exit 17), refuses unknown ids', async () => {
      const engine = await make();
      const g = await settle(engine, (await engine.createGroup(await request(engine))).id);
      const ids = g.snapshots.map((s) => s.id);
      await engine.setRetention(ids, 7);
      const days = async () =>
        (await engine.describeGroup(g.id)).snapshots.map((s) => s.retentionDays);
      expect(await days()).toEqual(ids.map(() => 7));
      await engine.setRetention(ids, 7);
      await engine.setRetention(ids.slice(0, 1), 30);
      expect(await days()).toEqual(ids.map((_, i) => (i === 0 ? 30 : 7)));
      await expect(engine.setRetention(ids.slice(0, 1), 3)).rejects.toMatchObject({ exitCode: 17 });
      await expect(engine.setRetention(['s-nosuchsnapshot0001'], 7)).rejects.toMatchObject({
        exitCode: 17,
      });
      expect(await days()).toEqual(ids.map((_, i) => (i === 0 ? 30 : 7)));
    });

    it('is idempotent per clientToken', async () => {
      const engine = await make();
      const req = await request(engine);
      const before = (await engine.listGroups()).length;
      const a = await engine.createGroup(req);
      const b = await engine.createGroup(req);
      expect(b.id).toBe(a.id);
      expect((await engine.listGroups()).length).toBe(before + 1);
    });

    it('finds the group a request made, and none for a request that made none', async () => {
      const engine = await make();
      const since = new Date();
      const name = `find-${randomUUID().slice(0, 8)}`;
      const req = await request(engine, { name });
      expect(await engine.findGroup(req, since)).toBeUndefined();
      const g = await engine.createGroup(req);
      expect((await engine.findGroup(req, since))?.id).toBe(g.id);
      // Another name, or only groups made before `since`: not ours.
      expect(await engine.findGroup(await request(engine, { name: `${name}-x` }), since)).toBe(
        undefined,
      );
      const later = new Date(Date.now() + 3_600_000);
      expect(await engine.findGroup({ ...req, clientToken: randomUUID() }, later)).toBeUndefined();
      expect((await engine.listGroups()).filter((x) => x.id === g.id)).toHaveLength(1);
    });

    it('tags snapshots and refuses unknown snapshot ids with TagFailed', async () => {
      const engine = await make();
      const created = await engine.createGroup(await request(engine));
      const g = await settle(engine, created.id);
      const ids = g.snapshots.map((s) => s.id);
      await engine.tagSnapshots(ids, { AppConsistent: 'True' });
      const after = await engine.describeGroup(g.id);
      expect(after.snapshots.every((s) => s.tags.AppConsistent === 'True')).toBe(true);
      await expect(engine.tagSnapshots(['s-doesnotexist'], { X: 'y' })).rejects.toMatchObject({
        exitCode: 8,
      });
    });

    it('refuses a disk it does not have', async () => {
      const engine = await make();
      await expect(
        engine.createGroup(await request(engine, { diskIds: ['d-nosuchdisk'] })),
      ).rejects.toBeInstanceOf(AgentError);
    });

    it('lists, rolls back (when idle, where it can) and deletes groups', async () => {
      const engine = await make();
      const created = await engine.createGroup(await request(engine));
      const g = await settle(engine, created.id);
      expect((await engine.listGroups()).some((x) => x.id === g.id)).toBe(true);
      if (engine.canRollback) {
        const rb = await engine.rollbackGroup(g.id);
        expect(rb.disks.map((d) => d.snapshotId).sort()).toEqual(
          g.snapshots.map((s) => s.id).sort(),
        );
      } else {
        await expect(engine.rollbackGroup(g.id)).rejects.toMatchObject({ exitCode: 1 });
      }
      await engine.deleteGroup(g.id);
      expect((await engine.listGroups()).some((x) => x.id === g.id)).toBe(false);
      await expect(engine.describeGroup(g.id)).rejects.toBeInstanceOf(AgentError);
    });
  });
}
