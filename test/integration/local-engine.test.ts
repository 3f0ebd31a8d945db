// The local engine on a real XFS reflink pool with attached loop disks.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalEngine } from '../../src/engines/local/engine.js';
import { systemRunner } from '../../src/system/runner.js';
import { describeEngineContract } from '../contract/engine-contract.js';
import { requireRoot, runCli, TestLab } from '../support/lab.js';

const enabled = requireRoot();

describe.skipIf(!enabled)('local engine conformance on a real pool', () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await new TestLab().up(2, 'xfs,ext4');
    // Rollback in the contract needs idle disks.
    for (const d of lab.state.disks) expect(spawnSync('umount', [d.mountPoint]).status).toBe(0);
  });
  afterAll(async () => {
    await lab?.down();
  });
  describeEngineContract(
    'local (XFS reflink pool, loop disks)',
    () => new LocalEngine({ poolDir: lab.pool, runner: systemRunner }),
  );
});

describe.skipIf(!enabled)('local engine on a real lab', () => {
  let lab: TestLab;
  beforeAll(async () => {
    lab = await new TestLab().up(2, 'xfs,ext4', 3);
  });
  afterAll(async () => {
    await lab?.down();
  });

  it('attaches each pool disk as a loop device', async () => {
    const disks = await new LocalEngine({
      poolDir: lab.pool,
      runner: systemRunner,
    }).describeDisks();
    expect(disks.map((d) => d.device)).toEqual(lab.state.disks.map((d) => d.device));
    expect(disks.every((d) => d.device?.startsWith('/dev/loop'))).toBe(true);
  });

  it('rollback restores the bytes of the snapshot time, and refuses while mounted', async () => {
    const file = join(lab.mount(0), 'ledger.txt');
    writeFileSync(file, 'balance=100\n');
    const snap = await lab.snapshot(['-Name=before-change']);
    expect(snap.json.ExitCode).toBe(0);
    writeFileSync(file, 'balance=0 (after the incident)\n');
    writeFileSync(join(lab.mount(0), 'new-file.txt'), 'not there at snapshot time');
    const id = snap.json.SnapshotGroupId;

    const refused = await runCli(['groups', 'rollback', id, '--pool', lab.pool]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is mounted at .*: unmount it before rolling back/);

    const mnt = lab.mount(0);
    expect(spawnSync('umount', [mnt]).status).toBe(0);
    const rb = await runCli([
      'groups',
      'rollback',
      id,
      '--pool',
      lab.pool,
      '--disk',
      lab.state.disks[0]!.id,
    ]);
    expect(rb.stderr).toBe('');
    expect(rb.code).toBe(0);
    expect(spawnSync('mount', [lab.state.disks[0]!.device!, mnt]).status).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe('balance=100\n');
    expect(() => readFileSync(join(mnt, 'new-file.txt'))).toThrow();
  });

  it('the per-disk quota is exit 14, and deleting a group frees it', async () => {
    const list = async () =>
      JSON.parse((await runCli(['groups', 'list', '--pool', lab.pool, '--json'])).stdout);
    while ((await list()).length < 3)
      expect((await lab.snapshot(['-Name=fill'])).json.ExitCode).toBe(0);
    const over = await lab.snapshot(['-Name=over']);
    expect(over.code).toBe(14);
    expect(over.json.Error).toMatch(/quota 3/);
    const oldest = (await list())[0].id;
    expect((await runCli(['groups', 'delete', oldest, '--pool', lab.pool])).code).toBe(0);
    expect((await lab.snapshot(['-Name=fits-again'])).json.ExitCode).toBe(0);
  });
});

describe.skipIf(!enabled)('lab command', () => {
  it('is idempotent and removes everything on down', async () => {
    const lab = await new TestLab().up(1, 'ext4');
    try {
      const first = lab.state.disks[0]!.id;
      await lab.up(2, 'ext4'); // again, asking for one more disk
      expect(lab.state.disks).toHaveLength(2);
      expect(lab.state.disks[0]!.id).toBe(first);
      expect(lab.state.disks.every((d) => d.mounted && d.device)).toBe(true);
    } finally {
      await lab.down();
    }
    const devices = lab.state.disks.map((d) => d.device!);
    const attached = spawnSync('losetup', ['-a']).stdout.toString();
    for (const d of devices) expect(attached).not.toContain(`${d}:`);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(lab.root);
  });
});
