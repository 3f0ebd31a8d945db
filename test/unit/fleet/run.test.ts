// runFleet against a fake Cloud Assistant that honours its arguments: each RunCommand's
// instances are the ones whose results come back, in the given order of states.
import { describe, expect, it } from 'vitest';
import type { FleetCloud, InvocationResult } from '../../../src/fleet/cloud.js';
import { runFleet, type FleetRunOptions } from '../../../src/fleet/run.js';

/** Each instance's scripted exit codes, one per attempt (default: 0). */
class FakeCloud {
  readonly regionId = 'cn-test';
  readonly runs: string[][] = [];
  readonly stopped: string[][] = [];
  private readonly invocations = new Map<string, { ids: string[]; polls: number }>();
  private readonly attempts = new Map<string, number>();
  constructor(
    private readonly exits: Record<string, number[]> = {},
    private readonly groups: Record<string, string[]> = {},
  ) {}

  runCommand(instances: readonly string[]): Promise<string> {
    if (instances.length > 50) throw new Error('more than 50 instances in one call');
    this.runs.push([...instances]);
    const id = `t-${this.runs.length}`;
    this.invocations.set(id, { ids: [...instances], polls: 0 });
    for (const i of instances) this.attempts.set(i, (this.attempts.get(i) ?? 0) + 1);
    return Promise.resolve(id);
  }

  results(invokeId: string): Promise<InvocationResult[]> {
    const inv = this.invocations.get(invokeId)!;
    inv.polls++;
    return Promise.resolve(
      inv.ids.map((id) => {
        // Running on the first poll, final on the second.
        if (inv.polls < 2) return { InstanceId: id, InvocationStatus: 'Running', ExitCode: null };
        const code = this.exits[id]?.[this.attempts.get(id)! - 1] ?? 0;
        // -1: the command outlived its Timeout; its output never said how the run ended.
        if (code === -1)
          return {
            InstanceId: id,
            InvocationStatus: 'Timeout',
            ExitCode: null,
            ErrorCode: 'ExecutionTimeout',
            Output: Buffer.from('[level="info"][message="Freeze filesystems (2)"]\n').toString(
              'base64',
            ),
          };
        return {
          InstanceId: id,
          InvocationStatus: code === 0 ? 'Success' : 'Failed',
          ExitCode: code,
          Output: Buffer.from(`exit ${code}\n`).toString('base64'),
        };
      }),
    );
  }

  stop(invokeId: string, instances: readonly string[]): Promise<void> {
    this.stopped.push([invokeId, ...instances]);
    return Promise.resolve();
  }

  readonly looked: string[] = [];
  /** `groups`: each instance's groups named n1 made since the run started. */
  groupsSince(instanceId: string, name: string, sinceMs: number): Promise<string[]> {
    this.looked.push(instanceId);
    if (!(sinceMs > 0)) throw new Error('groupsSince without a start time');
    return Promise.resolve(name === 'n1' ? (this.groups[instanceId] ?? []) : []);
  }
}

function options(cloud: FakeCloud, instances: string[], extra: Partial<FleetRunOptions> = {}) {
  const lines: string[] = [];
  const o: FleetRunOptions = {
    cloud: cloud as unknown as FleetCloud,
    instances,
    content: 'acs-plugin-manager ...',
    name: 'n1',
    timeoutS: 100,
    retries: 2,
    progress: (l) => lines.push(l),
    signal: new AbortController().signal,
    sleep: () => Promise.resolve(),
    random: () => 0.5,
    ...extra,
  };
  return { o, lines };
}

describe('runFleet', () => {
  it('starts 120 instances in batches of at most 50, each followed to its end', async () => {
    const ids = Array.from({ length: 120 }, (_, i) => `i-${i}`);
    const cloud = new FakeCloud();
    const out = await runFleet(options(cloud, ids).o);
    expect(cloud.runs.map((r) => r.length)).toEqual([50, 50, 20]);
    expect(cloud.runs.flat()).toEqual(ids);
    expect(out.every((x) => x.exitCode === 0 && x.attempts === 1)).toBe(true);
  });

  it('retries an instance that answered 16, up to --retries, and only it', async () => {
    const cloud = new FakeCloud({ 'i-a': [16, 16, 0], 'i-b': [5], 'i-c': [16, 16, 16] });
    const { o, lines } = options(cloud, ['i-a', 'i-b', 'i-c']);
    const out = await runFleet(o);
    expect(cloud.runs).toEqual([
      ['i-a', 'i-b', 'i-c'],
      ['i-a', 'i-c'],
      ['i-a', 'i-c'],
    ]);
    expect(out.map((x) => [x.instanceId, x.exitCode, x.attempts])).toEqual([
      ['i-a', 0, 3],
      ['i-b', 5, 1],
      ['i-c', 16, 3],
    ]);
    expect(lines.filter((l) => /retrying/.test(l))).toHaveLength(4);
  });

  it('never retries where a group of this run name exists', async () => {
    const cloud = new FakeCloud({ 'i-a': [16, 0] }, { 'i-a': ['ssg-x'] });
    const out = await runFleet(options(cloud, ['i-a']).o);
    expect(cloud.runs).toHaveLength(1);
    expect(out[0]).toMatchObject({ exitCode: 16, attempts: 1 });
    expect(out[0]!.firstError).toMatch(/not retried: group ssg-x/);
  });

  it('interrupted: StopInvocation for what is running, no new batch, the rest NotStarted', async () => {
    const ids = Array.from({ length: 60 }, (_, i) => `i-${i}`);
    const cloud = new FakeCloud();
    const ctl = new AbortController();
    const { o } = options(cloud, ids, {
      signal: ctl.signal,
      progress: (l) => {
        if (l.endsWith('Running')) ctl.abort();
      },
    });
    const out = await runFleet(o);
    expect(cloud.runs).toHaveLength(1);
    expect(cloud.stopped[0]!.slice(1)).toEqual(ids.slice(0, 50));
    expect(out.filter((x) => x.status === 'NotStarted').map((x) => x.instanceId)).toEqual(
      ids.slice(50),
    );
  });

  it('a row that timed out with no word of its group: the group of this run on that instance is looked up and named (issue 27)', async () => {
    const cloud = new FakeCloud(
      { 'i-slow': [-1], 'i-quiet': [-1] },
      { 'i-slow': ['ssg-inflight'], 'i-ok': ['ssg-other'] },
    );
    const out = await runFleet(options(cloud, ['i-slow', 'i-quiet', 'i-ok']).o);
    const row = (id: string) => out.find((x) => x.instanceId === id)!;
    expect(row('i-slow')).toMatchObject({
      exitCode: null,
      status: 'Timeout',
      groupId: 'ssg-inflight',
    });
    expect(row('i-slow').firstError).toMatch(
      /group ssg-inflight of this run exists there, untagged/,
    );
    expect(row('i-quiet').groupId).toBe(''); // looked, none there
    // A run that ended and said so is not second-guessed.
    expect(cloud.looked.sort()).toEqual(['i-quiet', 'i-slow']);
    expect(row('i-ok').groupId).toBe('');
  });
});
