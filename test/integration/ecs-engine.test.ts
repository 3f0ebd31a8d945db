// The cloud path end to end: the built agent with -Engine=ecs against the emulator over real
// lab disks. Every cloud failure reaches its documented exit code; no secret leaks.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Fault } from '../../tools/emulator/faults.js';
import { Emulator } from '../../tools/emulator/server.js';
import { requireRoot, runCli, TestLab } from '../support/lab.js';
import { agentEnvFor, cloudLabForThisFile } from '../support/emulator.js';
import { vendorStyleScripts } from '../support/scripts.js';

describe.skipIf(!requireRoot())('ecs engine against the emulator', () => {
  let lab: TestLab;
  let emulator: Emulator;
  const outputs: string[] = [];

  const cloudLab = cloudLabForThisFile();
  beforeAll(() => ({ lab, emulator } = cloudLab));

  async function cloud(
    words: string[],
    faults: Partial<Record<Fault, number | boolean>> = {},
    env: NodeJS.ProcessEnv = {},
  ) {
    emulator.faults = { ...faults };
    const name = words.some((w) => w.startsWith('-Name=')) ? [] : ['-Name=cloud'];
    const r = await runCli(['-Engine=ecs', ...name, ...words, '--output', 'json'], {
      env: {
        ...agentEnvFor(emulator, lab),
        ...env,
      },
    });
    outputs.push(r.stdout, r.stderr);
    return { ...r, json: JSON.parse(r.stdout) };
  }
  const ROLE = '-RamRoleName=AppSnapshotRoleName';

  it('freezes the filesystems of the instance disks, creates, waits for and tags the group', async () => {
    const s = vendorStyleScripts(join(lab.root, 'scripts'));
    const before = emulator.requests.length;
    const r = await cloud([ROLE, `-PreScriptPath=${s.pre}`, `-PostScriptPath=${s.post}`]);
    expect(r.json.Error).toBeUndefined();
    expect(r.code).toBe(0);
    expect(r.json.Consistency).toBe('AppConsistent');
    // The vendor's figures: the call's RequestId and cost, then the totals from the call.
    expect(r.stderr).toMatch(
      /SnapshotGroup, requestid=[0-9A-F-]{36}, GroupId=ssg-\w+, Cost:[\d.]+(ms|s|µs)"/,
    );
    expect(r.stderr).toMatch(
      /Finish SnapshotGroup =ssg-\w+ Creation, TotalCost=[\d.]+\w+, QueryCost=/,
    );
    // Disk serials resolved to the lab's loop devices, so both filesystems were frozen.
    expect(r.json.Frozen.sort()).toEqual([lab.mount(0), lab.mount(1)].sort());
    expect(r.json.Snapshots).toHaveLength(2);
    for (const snap of r.json.Snapshots) expect(snap.Tags).toEqual({ AppConsistent: 'True' });
    const calls = emulator.requests.slice(before);
    expect(calls.map((c) => c.action)).toEqual(
      expect.arrayContaining([
        'DescribeDisks',
        'CreateSnapshotGroup',
        'DescribeSnapshotGroups',
        'TagResources',
      ]),
    );
    expect(calls.every((c) => c.code === 'OK' && c.signature === 'v1')).toBe(true);
    const create = calls.find((c) => c.action === 'CreateSnapshotGroup')!;
    expect(create.params.ClientToken).toMatch(/^[0-9a-f-]{36}$/);
    expect(create.params.InstanceId).toBe(emulator.instanceId);
    expect(Object.keys(create.params).filter((k) => k.startsWith('DiskId.'))).toHaveLength(2);
    const tag = calls.find((c) => c.action === 'TagResources')!;
    expect(tag.params).toMatchObject({
      ResourceType: 'snapshot',
      'Tag.1.Key': 'AppConsistent',
      'Tag.1.Value': 'True',
    });
    // Hardened metadata mode: every metadata GET carried a token.
    expect(
      emulator.metadataRequests.filter((m) => m.path !== '/latest/api/token').every((m) => m.token),
    ).toBe(true);
  });

  it.each([
    ['quota', 14, { quota: true }, /QuotaExceed\.Snapshot/],
    [
      'a snapshot still in progress',
      16,
      { 'in-progress': true },
      /IncorrectDiskStatus\.CreatingSnapshot/,
    ],
    ['create failure', 4, { 'create-error': true }, /CreateSnapshot\.Failed/],
    ['no snapshot permission', 3, { forbidden: true }, /Forbidden\.RAM/],
    ['group failed', 5, { 'group-failed': true }, /failed/],
    ['one snapshot unavailable', 7, { 'snapshot-unavailable': true }, /is progressing \(\d+%\)/],
    ['tagging refused', 8, { 'tag-refused': true }, /QuotaExceed\.Tags/],
    ['no RAM role attached', 13, { 'role-missing': true }, /no RAM role attached/],
    ['an expired security token', 13, { 'token-expired': true }, /InvalidSecurityToken\.Expired/],
    ['a snapshot status error', 15, { 'snapshot-status': true }, /IncorrectSnapshotStatus/],
  ] as const)('%s: exit %i', async (_, code, faults, why) => {
    const r = await cloud([ROLE], faults);
    expect(r.code).toBe(code);
    expect(r.json.Error).toMatch(why);
  });

  it('a group stuck in progressing: exit 6 after GroupTimeoutInSeconds, the filesystems long thawed', async () => {
    const r = await cloud([ROLE, '-GroupTimeoutInSeconds=2'], { stuck: true });
    expect(r.code).toBe(6);
    expect(r.json.Timings.thaw).toBeGreaterThan(0);
    expect(r.json.SnapshotGroupId).toMatch(/^ssg-/);
  });

  it('throttling and 503s are retried; slow answers and a refused metadata token are fine', async () => {
    const before = emulator.requests.length;
    const r = await cloud([ROLE], {
      throttle: 2,
      unavailable: 1,
      slow: 100,
      'no-imds-token': true,
    });
    expect(r.code).toBe(0);
    const codes = emulator.requests.slice(before).map((c) => c.code);
    expect(codes.filter((c) => c === 'Throttling.User')).toHaveLength(2);
    expect(codes.filter((c) => c === 'ServiceUnavailable')).toHaveLength(1);
  });

  it('skips disks outside the ESSD family and says so', async () => {
    const r = await cloud([ROLE], { 'efficiency-disk': true });
    expect(r.code).toBe(0);
    expect(r.json.Warnings.join('\n')).toMatch(
      /d-efficiency\S* skipped: category cloud_efficiency is not in the ESSD family/,
    );
    expect(r.json.Snapshots).toHaveLength(2);
  });

  it('RamRoleName missing: exit 2; the metadata service unreachable: exit 1; another role: exit 13', async () => {
    expect((await runCli(['-Engine=ecs', '-Name=x'], { env: lab.env })).code).toBe(2);
    const unreachable = await cloud(
      [ROLE],
      {},
      { APP_SNAPSHOT_METADATA_URL: 'http://127.0.0.1:9' },
    );
    expect(unreachable.code).toBe(1);
    expect(unreachable.json.Error).toMatch(/metadata service .* unreachable \(network\)/);
    const other = await cloud(['-RamRoleName=SomeOtherRole']);
    expect(other.code).toBe(13);
    expect(other.json.Error).toMatch(
      /SomeOtherRole is not attached to this instance \(attached: AppSnapshotRoleName\)/,
    );
  });

  it('groups list, show and delete work on the cloud too; rollback says where to do it', async () => {
    const env = agentEnvFor(emulator, lab);
    emulator.faults = {};
    const g = ['groups', '--engine', 'ecs', '--ram-role-name', 'AppSnapshotRoleName'];
    const list = await runCli([...g.slice(0, 1), 'list', ...g.slice(1), '--json'], { env });
    expect(list.code).toBe(0);
    const groups = JSON.parse(list.stdout) as { id: string; status: string }[];
    expect(groups.length).toBeGreaterThan(0);
    const id = groups.find((x) => x.status === 'accomplished')!.id;
    const show = await runCli(['groups', 'show', id, ...g.slice(1), '--json'], { env });
    expect(JSON.parse(show.stdout).snapshots.length).toBe(2);
    const rollback = await runCli(['groups', 'rollback', id, ...g.slice(1)], { env });
    expect(rollback.code).toBe(1);
    expect(rollback.stderr).toMatch(/ECS console or with ResetDisks/);
    expect((await runCli(['groups', 'delete', id, ...g.slice(1)], { env })).code).toBe(0);
    const after = JSON.parse(
      (await runCli(['groups', 'list', ...g.slice(1), '--json'], { env })).stdout,
    ) as { id: string }[];
    expect(after.some((x) => x.id === id)).toBe(false);
  });

  it('-RetentionDays on the cloud: every snapshot gets it, the cloud deletes the group when the days pass; refused is exit 17', async () => {
    const before = emulator.requests.length;
    const r = await cloud([ROLE, '-Name=kept', '-RetentionDays=3']);
    expect([r.code, r.json.Error]).toEqual([0, undefined]);
    const ids = r.json.Snapshots.map((s: { SnapshotId: string }) => s.SnapshotId).sort();
    const modify = emulator.requests
      .slice(before)
      .filter((c) => c.action === 'ModifySnapshotAttribute');
    expect(modify.map((c) => [c.params.SnapshotId, c.params.RetentionDays, c.code]).sort()).toEqual(
      ids.map((id: string) => [id, '3', 'OK']),
    );
    expect(r.json.Retention.Days).toBe(3);
    const left = Date.parse(r.json.Retention.ExpiresAt) - Date.now();
    expect(left).toBeGreaterThan(3 * 86_400_000 - 600_000);
    expect(left).toBeLessThanOrEqual(3 * 86_400_000);
    const env = agentEnvFor(emulator, lab);
    const g = ['--engine', 'ecs', '--ram-role-name', 'AppSnapshotRoleName', '--json'];
    const listed = async () =>
      (
        JSON.parse((await runCli(['groups', 'list', ...g], { env })).stdout) as { id: string }[]
      ).map((x) => x.id);
    expect(await listed()).toContain(r.json.SnapshotGroupId);
    emulator.advanceClock(3 * 86_400_000 - 60_000);
    expect(await listed()).toContain(r.json.SnapshotGroupId);
    emulator.advanceClock(60_000);
    expect(await listed()).not.toContain(r.json.SnapshotGroupId);

    const refused = await cloud([ROLE, '-Name=kept', '-RetentionDays=3'], {
      'retention-refused': true,
    });
    expect(refused.code).toBe(17);
    expect(refused.json.Retention).toBeUndefined();
    expect(refused.json.Error).toMatch(/^setting -RetentionDays=3 failed: .*Forbidden\.RAM/);
    expect(refused.json.Snapshots.every((s: { Tags: object }) => !('ExpiresAt' in s.Tags))).toBe(
      true,
    );
  });

  it('keep options on a cloud run and groups prune on the cloud: dry run and real agree', async () => {
    const made: string[] = [];
    // CreationTime is to the second: the cloud's clock moves a minute between runs.
    for (let i = 0; i < 2; i++) {
      made.push((await cloud([ROLE, '-Name=nightly'])).json.SnapshotGroupId);
      emulator.advanceClock(60_000);
    }
    const good = await cloud([ROLE, '-Name=nightly', '-KeepLast=2']);
    expect(good.code).toBe(0);
    expect(good.json.Pruned).toEqual({
      Kept: [good.json.SnapshotGroupId, made[1]],
      Removed: [made[0]],
      NotRemoved: [],
    });
    const env = agentEnvFor(emulator, lab);
    const prune = async (...args: string[]) => {
      const p = await runCli(
        [
          'groups',
          'prune',
          '--engine=ecs',
          '--ram-role-name=AppSnapshotRoleName',
          '--name=nightly',
          '--output=json',
          ...args,
        ],
        { env },
      );
      outputs.push(p.stdout, p.stderr);
      return { code: p.code, json: JSON.parse(p.stdout) };
    };
    const dry = await prune('--keep-last=1', '--dry-run');
    const real = await prune('--keep-last=1');
    expect([dry.code, real.code]).toEqual([0, 0]);
    expect(real.json.Groups).toEqual(dry.json.Groups);
    expect(real.json.Deleted).toEqual([made[1]]);
    const again = await prune('--keep-last=1');
    expect([again.code, again.json.Deleted]).toEqual([0, []]);
  });

  it('never prints or logs a secret it was given', async () => {
    const secrets = emulator.secrets();
    expect(secrets.length).toBeGreaterThan(4);
    const logs = readdirSync(lab.logDir).map((f) => readFileSync(join(lab.logDir, f), 'utf8'));
    const everything = [...outputs, ...logs].join('\n');
    for (const s of secrets) expect(everything.includes(s)).toBe(false);
  });
});
