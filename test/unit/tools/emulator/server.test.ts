// The emulator's own checks: V3 (ACS3-HMAC-SHA256) requests, forged signatures, foreign tokens.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { MetadataClient } from '../../../../src/cloud/metadata.js';
import { acs3Signature, canonicalQuery, v1Signature } from '../../../../tools/emulator/signing.js';
import { emulatorForThisFile } from '../../../support/emulator.js';

const emulator = emulatorForThisFile();

async function acs3(
  action: string,
  query: Record<string, string>,
  o: { secretOverride?: string; token?: string } = {},
) {
  const c = await new MetadataClient({ baseUrl: emulator.url }).credentials(emulator.roleName);
  const url = new URL(emulator.url);
  const headers: Record<string, string> = {
    host: url.host,
    'x-acs-action': action,
    'x-acs-version': '2014-05-26',
    'x-acs-date': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    'x-acs-signature-nonce': Math.random().toString(36).slice(2),
    'x-acs-content-sha256': createHash('sha256').update('').digest('hex'),
    'x-acs-accesskey-id': c.accessKeyId,
    'x-acs-security-token': o.token ?? c.securityToken,
  };
  const signedHeaders = Object.keys(headers).sort();
  const signature = acs3Signature(
    { method: 'POST', path: '/', query, headers, signedHeaders },
    o.secretOverride ?? c.accessKeySecret,
  );
  const r = await fetch(`${emulator.url}/?${canonicalQuery(query)}`, {
    method: 'POST',
    headers: {
      ...headers,
      authorization: `ACS3-HMAC-SHA256 Credential=${c.accessKeyId},SignedHeaders=${signedHeaders.join(';')},Signature=${signature}`,
    },
  });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

describe('emulator request checks', () => {
  it('accepts a V3 (ACS3-HMAC-SHA256) signed request', async () => {
    const r = await acs3('DescribeDisks', {
      RegionId: 'cn-hangzhou',
      InstanceId: emulator.instanceId,
    });
    expect(r.status).toBe(200);
    expect((r.body.Disks as { Disk: unknown[] }).Disk).toHaveLength(2);
    expect(emulator.requests.at(-1)).toMatchObject({
      action: 'DescribeDisks',
      signature: 'acs3',
      code: 'OK',
    });
  });
  it('refuses a V3 request signed with the wrong secret, or carrying another token', async () => {
    expect(
      (await acs3('DescribeDisks', { RegionId: 'cn-hangzhou' }, { secretOverride: 'nope' })).body
        .Code,
    ).toBe('SignatureDoesNotMatch');
    expect(
      (await acs3('DescribeDisks', { RegionId: 'cn-hangzhou' }, { token: 'forged' })).body.Code,
    ).toBe('InvalidSecurityToken.MismatchWithAccessKey');
  });
  it('refuses a v1 request with a forged signature or an unknown key', async () => {
    const c = await new MetadataClient({ baseUrl: emulator.url }).credentials(emulator.roleName);
    const params: Record<string, string> = {
      Action: 'DescribeDisks',
      RegionId: 'cn-hangzhou',
      Format: 'JSON',
      Version: '2014-05-26',
      AccessKeyId: c.accessKeyId,
      SecurityToken: c.securityToken,
      SignatureMethod: 'HMAC-SHA1',
      SignatureVersion: '1.0',
      SignatureNonce: 'n1',
      Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    };
    const post = async (p: Record<string, string>) =>
      (await (
        await fetch(`${emulator.url}/`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams(p),
        })
      ).json()) as { Code?: string };
    expect(
      (await post({ ...params, Signature: v1Signature('POST', params, c.accessKeySecret) })).Code,
    ).toBeUndefined();
    expect((await post({ ...params, Signature: v1Signature('POST', params, 'wrong') })).Code).toBe(
      'SignatureDoesNotMatch',
    );
    expect((await post({ ...params, AccessKeyId: 'STS.unknown', Signature: 'x' })).Code).toBe(
      'InvalidAccessKeyId.NotFound',
    );
  });
});
