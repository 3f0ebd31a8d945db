import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ecsClient, EcsApiError } from '../../../src/cloud/client.js';
import { mayHaveCreated } from '../../../src/engines/ecs/errors.js';
import { isRetryable } from '../../../src/cloud/retry.js';
import { AgentError } from '../../../src/errors/errors.js';

let server: Server | undefined;
afterEach(async () => {
  if (server) await new Promise((r) => server!.close(r));
  server = undefined;
});

/** A loopback "service" that reads the request and then closes the connection unanswered. */
async function resetting(): Promise<string> {
  server = createServer((req) => {
    req.resume();
    req.on('end', () => req.socket.destroy());
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const credentials = () =>
  Promise.resolve({
    accessKeyId: 'AK',
    accessKeySecret: 'secret',
    securityToken: '',
    expiration: '2999-01-01T00:00:00Z',
  });

describe('ecs client transport failures', () => {
  it('a reset connection is a network failure: retried, and a group call it cut may have made a group', async () => {
    const api = ecsClient({ endpoint: await resetting(), credentials, timeoutMs: 5000 });
    const e = await api.call('CreateSnapshotGroup', { RegionId: 'r' }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(EcsApiError);
    expect((e as EcsApiError).code).toMatch(/^Network\.ECONNRESET$/);
    expect(isRetryable(e)).toBe(true);
    expect(mayHaveCreated(e)).toBe(true);
  });

  it('credentials that cannot be had: their own error, nothing sent, not retried, no group to look for', async () => {
    let requests = 0;
    server = createServer((req, res) => {
      requests++;
      res.end('{}');
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const none = new AgentError('NoRamRole', 'the instance has no RAM role attached (RamRoleName)');
    const api = ecsClient({ endpoint, credentials: () => Promise.reject(none), timeoutMs: 5000 });
    const e = await api.call('CreateSnapshotGroup', { RegionId: 'r' }).catch((x: unknown) => x);
    expect(e).toBe(none);
    expect(requests).toBe(0);
    expect([isRetryable(e), mayHaveCreated(e)]).toEqual([false, false]);
  });

  it("the service's own refusal is its code, not retried, and made nothing", () => {
    const e = new EcsApiError('QuotaExceed.Snapshot', 'quota', 403, 'req');
    expect([isRetryable(e), mayHaveCreated(e)]).toEqual([false, false]);
    expect(
      mayHaveCreated(new EcsApiError('Network.Deadline', 'not sent', undefined, undefined)),
    ).toBe(false);
    expect(mayHaveCreated(new EcsApiError('ServiceUnavailable', 'x', 503, 'r'))).toBe(true);
  });
});
