import { describe, expect, it } from 'vitest';
import { EcsApiError, type CallOptions, type EcsApi } from '../../../../src/cloud/client.js';
import { toAgentError, type EcsCall } from '../../../../src/engines/ecs/errors.js';
import { isRetryable } from '../../../../src/cloud/retry.js';
import { withRetry } from '../../../../src/cloud/retry.js';
import { Deadline } from '../../../../src/system/clock.js';

const err = (code: string, status?: number) => new EcsApiError(code, 'msg', status, 'REQ-1');

describe('cloud error codes -> exit codes', () => {
  it.each([
    ['CreateSnapshotGroup', 'QuotaExceed.Snapshot', 14],
    ['CreateSnapshotGroup', 'IncorrectDiskStatus.CreatingSnapshot', 16],
    ['CreateSnapshotGroup', 'Forbidden.RAM', 3],
    ['DescribeDisks', 'Forbidden.RAM', 3],
    ['CreateSnapshotGroup', 'CreateSnapshot.Failed', 4],
    ['CreateSnapshotGroup', 'InvalidSecurityToken.Expired', 13],
    ['DescribeSnapshotGroups', 'InternalError', 5],
    ['TagResources', 'QuotaExceed.Tags', 8],
    ['TagResources', 'Forbidden.RAM', 8],
    ['DescribeDisks', 'Network.Fetch', 1],
    ['CreateSnapshotGroup', 'IncorrectSnapshotStatus', 15],
  ] as const)('%s %s -> %i', (call, code, exit) => {
    const e = toAgentError(call as EcsCall, err(code, 403));
    expect(e.exitCode).toBe(exit);
    expect(e.message).toContain(code);
    expect(e.details).toMatchObject({ code, requestId: 'REQ-1' });
  });
  it('retries throttling, unavailability, 5xx and transport failures only', () => {
    for (const c of [
      'Throttling',
      'Throttling.User',
      'Rejected.Throttling',
      'ServiceUnavailable',
      'Network.Request',
    ]) {
      expect(isRetryable(err(c, 400))).toBe(true);
    }
    expect(isRetryable(err('Whatever', 502))).toBe(true);
    expect(isRetryable(err('QuotaExceed.Snapshot', 403))).toBe(false);
    expect(isRetryable(new Error('x'))).toBe(false);
  });
});

describe('withRetry', () => {
  const flaky = (failures: EcsApiError[]) => {
    let calls = 0;
    const api: EcsApi = {
      call: async <T>() => {
        calls++;
        const f = failures.shift();
        if (f) throw f;
        return 'ok' as T;
      },
    };
    return { api, calls: () => calls };
  };
  const waits: number[] = [];
  const policy = {
    attemptTimeoutMs: 10_000,
    budgetMs: 60_000,
    baseMs: 100,
    maxMs: 1000,
    sleep: async (ms: number) => void waits.push(ms),
    random: () => 0.5,
  };

  it('retries with growing, jittered waits until it succeeds', async () => {
    const f = flaky([err('Throttling.User', 400), err('ServiceUnavailable', 503), err('X', 500)]);
    waits.length = 0;
    expect(await withRetry(f.api, policy).call('A', {})).toBe('ok');
    expect(f.calls()).toBe(4);
    expect(waits).toEqual([50, 100, 200]);
  });
  it('does not retry a permanent error, and stops at the budget', async () => {
    const f = flaky([err('QuotaExceed.Snapshot', 403)]);
    await expect(withRetry(f.api, policy).call('A', {})).rejects.toMatchObject({
      code: 'QuotaExceed.Snapshot',
    });
    expect(f.calls()).toBe(1);
    const g = flaky(Array.from({ length: 100 }, () => err('Throttling', 400)));
    await expect(withRetry(g.api, { ...policy, budgetMs: 0 }).call('A', {})).rejects.toMatchObject({
      code: 'Throttling',
    });
    expect(g.calls()).toBe(1);
  });
});

describe('EcsEngine.tagSnapshots', () => {
  it('tags at most 50 snapshots per TagResources call', async () => {
    const { EcsEngine } = await import('../../../../src/engines/ecs/engine.js');
    const calls: Record<string, unknown>[] = [];
    const api: EcsApi = {
      call: async <T>(_action: string, p: Record<string, unknown>) => {
        calls.push(p);
        return {} as T;
      },
    };
    const metadata = { instanceId: async () => 'i-1', regionId: async () => 'cn-x' } as never;
    const ids = Array.from({ length: 120 }, (_, i) => `s-${i}`);
    await new EcsEngine({ api, metadata }).tagSnapshots(ids, { AppConsistent: 'True' });
    expect(calls.map((c) => (c.ResourceId as string[]).length)).toEqual([50, 50, 20]);
    expect(calls[0]).toMatchObject({
      RegionId: 'cn-x',
      ResourceType: 'snapshot',
      Tag: [{ Key: 'AppConsistent', Value: 'True' }],
    });
  });
});

describe('withRetry budgets per action', () => {
  it('gives CreateSnapshotGroup (run while frozen) its own, shorter budget', async () => {
    let calls = 0;
    const api: EcsApi = {
      call: async <T>() => {
        calls++;
        throw err('Throttling', 400);
        return undefined as T;
      },
    };
    let now = 0;
    const realNow = Date.now;
    Date.now = () => now;
    try {
      const retrying = withRetry(api, {
        attemptTimeoutMs: 10_000,
        budgetMs: (action) => (action === 'CreateSnapshotGroup' ? 1000 : 60_000),
        baseMs: 400,
        maxMs: 400,
        random: () => 1,
        sleep: async (ms) => void (now += ms),
      });
      await expect(retrying.call('CreateSnapshotGroup', {})).rejects.toMatchObject({
        code: 'Throttling',
      });
      expect(calls).toBe(3); // 0, 400, 800 ms; the next wait would pass 1000 ms
      calls = 0;
      now = 0;
      await expect(retrying.call('DescribeDisks', {})).rejects.toMatchObject({
        code: 'Throttling',
      });
      expect(calls).toBe(151);
    } finally {
      Date.now = realNow;
    }
  });
});

describe('withRetry under the freeze deadline', () => {
  it('cuts each attempt to what is left, and starts no attempt or wait that would outlive it', async () => {
    let now = 0;
    const deadline = new Deadline(12_000, () => now);
    const timeouts: number[] = [];
    const api: EcsApi = {
      call: async <T>(_a: string, _p: Record<string, unknown>, o?: CallOptions) => {
        timeouts.push(o!.timeoutMs!);
        now += o!.timeoutMs!; // each attempt runs into its timeout
        throw err('Network.Timeout', undefined);
        return undefined as T;
      },
    };
    const retrying = withRetry(api, {
      attemptTimeoutMs: 10_000,
      budgetMs: 60_000,
      baseMs: 400,
      maxMs: 400,
      random: () => 1,
      sleep: async (ms) => void (now += ms),
    });
    await expect(retrying.call('CreateSnapshotGroup', {}, { deadline })).rejects.toMatchObject({
      code: 'Network.Timeout',
    });
    // 10 s, a 400 ms wait, then only 1.6 s are left for the second attempt; none after it.
    expect(timeouts).toEqual([10_000, 1600]);
    expect(now).toBe(12_000);
  });
  it('does not send the call at all when the deadline leaves too little time', async () => {
    let calls = 0;
    const api: EcsApi = { call: async <T>() => (calls++, 'ok' as T) };
    const retrying = withRetry(api, { attemptTimeoutMs: 10_000, budgetMs: 1, baseMs: 1, maxMs: 1 });
    await expect(
      retrying.call('CreateSnapshotGroup', {}, { deadline: new Deadline(100) }),
    ).rejects.toMatchObject({ code: 'Network.Deadline' });
    expect(calls).toBe(0);
  });
});

describe('ecs endpoint', () => {
  it('is the region VPC endpoint by default, the public one on request, or a given URL', async () => {
    const { ecsEndpoint } = await import('../../../../src/cloud/index.js');
    expect(ecsEndpoint(undefined, 'cn-hangzhou')).toBe('https://ecs-vpc.cn-hangzhou.aliyuncs.com');
    expect(ecsEndpoint('vpc', 'cn-hangzhou')).toBe('https://ecs-vpc.cn-hangzhou.aliyuncs.com');
    expect(ecsEndpoint('public', 'ap-southeast-1')).toBe('https://ecs.ap-southeast-1.aliyuncs.com');
    expect(ecsEndpoint('http://127.0.0.1:8080', 'x')).toBe('http://127.0.0.1:8080');
  });
});
