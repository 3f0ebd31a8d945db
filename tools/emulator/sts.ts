// The emulator's credentials: it issues STS credentials from its metadata service and checks
// every API request against them (RPC v1 or V3 signature, the security token, its expiry).
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { acs3Signature, parseAcs3Authorization, v1Signature } from './signing.js';

/** An error answer: HTTP status, code, message. */
export type ApiError = [number, string, string];

const INCOMPLETE: ApiError = [
  400,
  'IncompleteSignature',
  'The request signature does not conform to Aliyun standards.',
];
const UNKNOWN_KEY: ApiError = [
  404,
  'InvalidAccessKeyId.NotFound',
  'Specified access key is not found.',
];
const BAD_SIGNATURE: ApiError = [
  400,
  'SignatureDoesNotMatch',
  'Specified signature is not matched with our calculation.',
];
const TOKEN_MISMATCH: ApiError = [
  400,
  'InvalidSecurityToken.MismatchWithAccessKey',
  'The security token does not match the access key.',
];
const TOKEN_EXPIRED: ApiError = [
  400,
  'InvalidSecurityToken.Expired',
  'The security token you provided has expired.',
];

interface Issued {
  readonly secret: string;
  readonly token: string;
  readonly expiration: number;
}

export interface Verdict {
  readonly style: 'v1' | 'acs3';
  readonly error?: ApiError;
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

export class Sts {
  private readonly issued = new Map<string, Issued>();

  /** A fresh set, in the metadata service's JSON shape. */
  issue(): Record<string, string> {
    const accessKeyId = `STS.${randomBytes(12).toString('hex')}`;
    const issued = {
      secret: randomBytes(20).toString('base64'),
      token: randomBytes(48).toString('base64'),
      expiration: Date.now() + 3600_000,
    };
    this.issued.set(accessKeyId, issued);
    return {
      AccessKeyId: accessKeyId,
      AccessKeySecret: issued.secret,
      SecurityToken: issued.token,
      Expiration: isoSeconds(issued.expiration),
      LastUpdated: isoSeconds(Date.now()),
      Code: 'Success',
    };
  }

  /** A RAM user's AccessKey pair (no token), as an operator's environment would hold it. */
  issueAccessKey(): { accessKeyId: string; accessKeySecret: string } {
    const accessKeyId = `LTAI${randomBytes(10).toString('hex')}`;
    const secret = randomBytes(20).toString('base64');
    this.issued.set(accessKeyId, { secret, token: '', expiration: Number.MAX_SAFE_INTEGER });
    return { accessKeyId, accessKeySecret: secret };
  }

  /** Every secret handed out: tests scan outputs and logs for them. */
  secrets(): string[] {
    return [...this.issued.values()].flatMap((i) => [i.secret, i.token]).filter(Boolean);
  }

  authenticate(
    req: IncomingMessage,
    url: URL,
    params: Record<string, string>,
    forceExpired: boolean,
  ): Verdict {
    const auth = req.headers.authorization;
    if (typeof auth === 'string' && auth.startsWith('ACS3-')) {
      const a = parseAcs3Authorization(auth);
      if (!a) return { style: 'acs3', error: INCOMPLETE };
      const issued = this.issued.get(a.accessKeyId);
      if (!issued) return { style: 'acs3', error: UNKNOWN_KEY };
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), String(v)]),
      );
      const expected = acs3Signature(
        {
          method: req.method ?? 'POST',
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers,
          signedHeaders: a.signedHeaders,
        },
        issued.secret,
      );
      if (expected !== a.signature) return { style: 'acs3', error: BAD_SIGNATURE };
      return {
        style: 'acs3',
        error: this.token(issued, headers['x-acs-security-token'], forceExpired),
      };
    }
    if (!params.Signature || params.SignatureMethod !== 'HMAC-SHA1')
      return { style: 'v1', error: INCOMPLETE };
    const issued = this.issued.get(params.AccessKeyId ?? '');
    if (!issued) return { style: 'v1', error: UNKNOWN_KEY };
    if (v1Signature(req.method ?? 'GET', params, issued.secret) !== params.Signature) {
      return { style: 'v1', error: BAD_SIGNATURE };
    }
    return { style: 'v1', error: this.token(issued, params.SecurityToken, forceExpired) };
  }

  private token(
    issued: Issued,
    token: string | undefined,
    forceExpired: boolean,
  ): ApiError | undefined {
    if ((token ?? '') !== issued.token) return TOKEN_MISMATCH;
    if (forceExpired || Date.now() > issued.expiration) return TOKEN_EXPIRED;
    return undefined;
  }
}
