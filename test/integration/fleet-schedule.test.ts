// `fleet schedule` end to end: the operator's CLI schedules the agent on two emulated
// instances through Cloud Assistant (RunCommand RepeatMode=Period); the region's clock is
// advanced and the real agent snapshots each instance's lab disks at every firing; stopping
// the schedule ends the firings.
import { describe, expect, it } from 'vitest';
import { requireRoot } from '../support/lab.js';
import { labRegionForThisFile } from '../support/lab-region.js';
import { operatorCli } from '../support/operator.js';
import { listGroups } from '../support/vm.js';

const HOUR = 3_600_000;

describe.skipIf(!requireRoot())('fleet schedule on the emulated Cloud Assistant’s clock', () => {
  const f = labRegionForThisFile({
    instances: [
      [1, 'ext4'],
      [1, 'ext4'],
    ],
    instance: (i) => ({ name: `db-${i}`, tags: { role: 'db' } }),
    prefix: 'asp-fleet-sched-',
  });

  const cli = async (...args: string[]) => {
    const r = await operatorCli(
      f.region,
      f.operator,
      ['fleet', 'schedule', ...args, `-Region=${f.region.regionId}`, '--output', 'json'],
      {
        home: f.dir,
      },
    );
    return { ...r, json: r.stdout ? JSON.parse(r.stdout) : undefined };
  };
  /** Every instance's group count, once no execution is running any more. */
  const settled = async (runs: number) => {
    for (const until = Date.now() + 120_000; Date.now() < until;) {
      const busy = f.region.invocations.some(
        (r) => r.status === 'Running' || r.status === 'Stopping',
      );
      const done = f.region.invocations.filter((r) => r.status !== 'Running').length;
      if (!busy && done >= runs) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`not ${runs} finished executions in 2 minutes`);
  };

  it('two firings an hour apart snapshot both instances; list shows them; after stop nothing fires', async () => {
    const bad = await cli(
      'add',
      '--frequency',
      'every night',
      '-InstanceTag=role=db',
      '-Name=hourly',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/InvalidParameter\.Frequency/);

    const add = await cli(
      'add',
      '--frequency',
      'rate(1h)',
      '-InstanceTag=role=db',
      '-Name=hourly',
      '-RamRoleName=AppSnapshotRoleName',
      '-KeepLast=5',
    );
    expect(add.code, add.stderr).toBe(0);
    const id: string = add.json.InvokeId;
    expect(add.json.Instances).toHaveLength(2);
    expect(f.region.invocations).toHaveLength(0); // a period's first run is one period away

    f.region.advanceClock(HOUR);
    await settled(2);
    f.region.advanceClock(HOUR);
    await settled(4);
    const outputs = f.region.invocations
      .map((r) => `${r.status} ${r.exitCode}: ${r.output.toString().slice(-600)}`)
      .join('\n');
    for (const lab of f.labs)
      expect(
        listGroups(lab.pool).filter((g) => g.name === 'hourly'),
        outputs,
      ).toHaveLength(2);

    const list = await cli('list');
    expect(list.code, list.stderr).toBe(0);
    expect(list.json.Schedules).toEqual([
      expect.objectContaining({
        InvokeId: id,
        Name: 'hourly',
        Frequency: 'rate(1h)',
        Status: 'Pending',
      }),
    ]);
    for (const inst of list.json.Schedules[0].Instances)
      expect(inst).toMatchObject({
        Runs: 2,
        ExitCode: 0,
        InvocationStatus: 'Success',
        SnapshotGroupId: expect.stringMatching(/^ssg-/),
      });

    expect((await cli('stop', 't-not-ours')).code).toBe(2);
    const stop = await cli('stop', id);
    expect(stop.code, stop.stderr).toBe(0);
    f.region.advanceClock(3 * HOUR);
    await new Promise((r) => setTimeout(r, 1500)); // the region's own ticker too
    expect(f.region.invocations).toHaveLength(4);
    expect((await cli('list')).json.Schedules[0].Status).toBe('Stopped');
  });
});
