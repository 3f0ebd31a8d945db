import { describe, expect, it } from 'vitest';
import {
  MetadataClient,
  RoleCredentials,
  type StsCredentials,
} from '../../../src/cloud/metadata.js';
import { emulatorForThisFile } from '../../support/emulator.js';

const emulator = emulatorForThisFile();

describe('MetadataClient (against the emulator, real HTTP)', () => {
  it('uses hardened mode: one token PUT, then every GET carries it', async () => {
    emulator.faults = {};
    const before = emulator.metadataRequests.length;
    const md = new MetadataClient({ baseUrl: emulator.url });
    expect(await md.instanceId()).toBe(emulator.instanceId);
    expect(await md.regionId()).toBe('cn-hangzhou');
    const creds = await md.credentials('AppSnapshotRoleName');
    expect(creds.accessKeyId).toMatch(/^STS\./);
    const seen = emulator.metadataRequests.slice(before);
    expect(seen.filter((r) => r.path === '/latest/api/token')).toHaveLength(1);
    expect(seen.filter((r) => r.path !== '/latest/api/token').every((r) => r.token)).toBe(true);
  });

  it('falls back to tokenless GETs when the token is refused', async () => {
    emulator.faults = { 'no-imds-token': true };
    const before = emulator.metadataRequests.length;
    expect(await new MetadataClient({ baseUrl: emulator.url }).instanceId()).toBe(
      emulator.instanceId,
    );
    const gets = emulator.metadataRequests
      .slice(before)
      .filter((r) => r.path !== '/latest/api/token');
    expect(gets.every((r) => !r.token)).toBe(true);
  });

  it('no role: exit 13; another role: exit 13 naming both; unreachable: exit 1', async () => {
    emulator.faults = { 'role-missing': true };
    const md = new MetadataClient({ baseUrl: emulator.url });
    await expect(md.credentials('AppSnapshotRoleName')).rejects.toMatchObject({
      exitCode: 13,
      message: expect.stringMatching(/no RAM role attached/),
    });
    emulator.faults = {};
    await expect(md.credentials('Other')).rejects.toMatchObject({
      exitCode: 13,
      message: expect.stringMatching(/Other is not attached.*AppSnapshotRoleName/),
    });
    await expect(
      new MetadataClient({ baseUrl: 'http://127.0.0.1:9', timeoutMs: 500 }).instanceId(),
    ).rejects.toMatchObject({
      exitCode: 1,
      message: expect.stringMatching(/unreachable \(network\)/),
    });
  });
});

describe('RoleCredentials', () => {
  it('caches credentials and fetches new ones 5 minutes before they expire', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    let calls = 0;
    const fake = {
      credentials: async (): Promise<StsCredentials> => {
        calls++;
        return {
          accessKeyId: `k${calls}`,
          accessKeySecret: 's',
          securityToken: 't',
          expiration: '2026-01-01T01:00:00Z',
        };
      },
    } as unknown as MetadataClient;
    const rc = new RoleCredentials(fake, 'r', () => now);
    expect((await rc.get()).accessKeyId).toBe('k1');
    now += 50 * 60_000;
    expect((await rc.get()).accessKeyId).toBe('k1');
    now += 6 * 60_000; // 4 minutes left
    expect((await rc.get()).accessKeyId).toBe('k2');
  });
});
