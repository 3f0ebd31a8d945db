// Request signing as the ECS API checks it: RPC v1 (HMAC-SHA1, parameters signed) and V3
// (ACS3-HMAC-SHA256, canonical request over headers). The emulator verifies both.
import { createHash, createHmac } from 'node:crypto';

/** RFC 3986 percent-encoding: only A-Z a-z 0-9 - _ . ~ stay as they are. */
export function percentEncode(s: string): string {
  return encodeURIComponent(s).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

export function canonicalQuery(params: Record<string, string>): string {
  return Object.keys(params)
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k]!)}`)
    .join('&');
}

/** RPC v1: Base64(HMAC-SHA1(secret + "&", METHOD&%2F&encode(sorted params without Signature))). */
export function v1Signature(
  method: string,
  params: Record<string, string>,
  secret: string,
): string {
  const { Signature: _omit, ...rest } = params;
  const stringToSign = `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonicalQuery(rest))}`;
  return createHmac('sha1', `${secret}&`).update(stringToSign).digest('base64');
}

export interface Acs3Request {
  readonly method: string;
  readonly path: string;
  readonly query: Record<string, string>;
  /** Lower-case header names. */
  readonly headers: Record<string, string>;
  readonly signedHeaders: string[];
}

/** V3: hex HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" + hex SHA256(canonical request)). */
export function acs3Signature(r: Acs3Request, secret: string): string {
  const headers = [...r.signedHeaders].sort();
  const canonical = [
    r.method.toUpperCase(),
    r.path || '/',
    canonicalQuery(r.query),
    headers.map((h) => `${h}:${(r.headers[h] ?? '').trim()}\n`).join(''),
    headers.join(';'),
    r.headers['x-acs-content-sha256'] ?? createHash('sha256').update('').digest('hex'),
  ].join('\n');
  const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonical).digest('hex')}`;
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}

/** "ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex" -> its parts. */
export function parseAcs3Authorization(
  value: string,
): { accessKeyId: string; signedHeaders: string[]; signature: string } | undefined {
  const m =
    /^ACS3-HMAC-SHA256\s+Credential=([^,]+),\s*SignedHeaders=([^,]+),\s*Signature=([0-9a-f]+)$/i.exec(
      value.trim(),
    );
  return m ? { accessKeyId: m[1]!, signedHeaders: m[2]!.split(';'), signature: m[3]! } : undefined;
}
