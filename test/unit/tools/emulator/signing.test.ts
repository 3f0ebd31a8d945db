import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  acs3Signature,
  parseAcs3Authorization,
  percentEncode,
  v1Signature,
} from '../../../../tools/emulator/signing.js';

describe('RPC v1 signature', () => {
  it('matches the documented test vector', () => {
    const params = {
      AccessKeyId: 'testid',
      Action: 'DescribeRegions',
      Format: 'XML',
      SignatureMethod: 'HMAC-SHA1',
      SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf',
      SignatureVersion: '1.0',
      Timestamp: '2016-02-23T12:46:24Z',
      Version: '2014-05-26',
    };
    expect(v1Signature('GET', params, 'testsecret')).toBe('OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
    expect(v1Signature('GET', { ...params, Signature: 'ignored' }, 'testsecret')).toBe(
      'OLeaidS1JvxuMvnyHOwuJ+uX5qY=',
    );
  });
  it('percent-encodes the RFC 3986 way', () => {
    expect(percentEncode("a b*c~d!'()")).toBe('a%20b%2Ac~d%21%27%28%29');
  });
});

describe('ACS3-HMAC-SHA256 signature', () => {
  it('is HMAC-SHA256 over the hashed canonical request', () => {
    const req = {
      method: 'POST',
      path: '/',
      query: { RegionId: 'cn-hangzhou', 'DiskId.1': 'd-a' },
      headers: {
        host: 'ecs.example',
        'x-acs-action': 'CreateSnapshotGroup',
        'x-acs-content-sha256': createHash('sha256').update('').digest('hex'),
      },
      signedHeaders: ['x-acs-action', 'host', 'x-acs-content-sha256'],
    };
    const canonical = [
      'POST',
      '/',
      'DiskId.1=d-a&RegionId=cn-hangzhou',
      `host:ecs.example\nx-acs-action:CreateSnapshotGroup\nx-acs-content-sha256:${req.headers['x-acs-content-sha256']}\n`,
      'host;x-acs-action;x-acs-content-sha256',
      req.headers['x-acs-content-sha256'],
    ].join('\n');
    const expected = createHmac('sha256', 'sk')
      .update(`ACS3-HMAC-SHA256\n${createHash('sha256').update(canonical).digest('hex')}`)
      .digest('hex');
    expect(acs3Signature(req, 'sk')).toBe(expected);
    expect(
      parseAcs3Authorization(
        `ACS3-HMAC-SHA256 Credential=STS.ak,SignedHeaders=host;x-acs-action,Signature=${expected}`,
      ),
    ).toEqual({
      accessKeyId: 'STS.ak',
      signedHeaders: ['host', 'x-acs-action'],
      signature: expected,
    });
  });
});
