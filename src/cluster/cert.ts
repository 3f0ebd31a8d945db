// The coordinator's certificate: a fresh P-256 key and a self-signed certificate for this run
// only (openssl, which every distribution ships), valid one day. The participants trust it by
// its SHA-256 fingerprint, which reaches them in their parameters; the key never leaves the
// coordinator's memory (the files openssl writes are in a 0700 directory removed at once).
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { conditionFailed } from '../errors/errors.js';
import type { Runner } from '../system/runner.js';

export interface RunCertificate {
  readonly cert: string;
  readonly key: string;
  /** "AB:CD:..." as Node reports fingerprint256. */
  readonly fingerprint: string;
}

export async function runCertificate(runner: Runner): Promise<RunCertificate> {
  const dir = mkdtempSync(join(tmpdir(), 'asp-cluster-'));
  try {
    const r = await runner.run(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=app-snapshot-plugin cluster coordinator',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { timeoutMs: 30_000 },
    );
    if (r.exitCode !== 0)
      throw conditionFailed(
        `openssl could not make the run's certificate: ${r.stderr.trim().split('\n').at(-1) ?? ''}`,
      );
    const cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const key = readFileSync(join(dir, 'key.pem'), 'utf8');
    return { cert, key, fingerprint: new X509Certificate(cert).fingerprint256 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
