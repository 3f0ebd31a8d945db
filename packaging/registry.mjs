// Prebuilt payloads from the npm registry, pinned by integrity: the Bun runtimes the executables
// are compiled with (one per architecture) and the glibc 2.17 userland of the legacy-system
// suite. They are not npm dependencies: the arm64 runtime declares cpu "arm64", which `npm ci`
// refuses on x64 (or silently skips as optional), and nobody running the agent from source
// needs 200 MB of runtimes. `npm pack` fetches through npm's own cache (so a second build is
// offline), the sha512 is checked against the pin below, and the tarball is unpacked once into
// a cache directory outside the checkout.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** Every payload, pinned. Update the version and the integrity together (`npm view NAME@V dist.integrity`). */
export const PINNED = {
  'bun-linux-x64': {
    name: '@oven/bun-linux-x64-baseline',
    version: '1.4.5',
    integrity:
      'sha512-s8yMwYcFnnrA178gji0gZbkE2WVDej/Ti1x770oPfihxyRxSMNhGhiAQNXV53aDeraZxksdvKV/RAdQBCd0qPA==',
  },
  'bun-linux-arm64': {
    name: '@oven/bun-linux-aarch64',
    version: '1.4.5',
    integrity:
      'sha512-4BXmsSKnjOrlGWqZV4x/oWa7AVoR+B6lCXddMzOAXBIm3t50eslg9wb66gmtW1AamEQ1l1CDvmmruysEhqOWMg==',
  },
  'glibc-2.17': {
    name: '@napi-rs/cross-toolchain-x64-target-x86_64',
    version: '1.0.0',
    integrity:
      'sha512-lecoghCfoTAX9MLFcIx9/nL9M8xdkZ9n8Pki8qjKUNzjiq1zbECdEbzIZAMMHRtrXxifK9dAyYuh8gSxNbr2og==',
  },
};

/** Where unpacked payloads live: APP_SNAPSHOT_CACHE, else ~/.cache/app-snapshot-plugin. */
export function cacheDir() {
  const base = process.env.APP_SNAPSHOT_CACHE || join(homedir(), '.cache', 'app-snapshot-plugin');
  mkdirSync(base, { recursive: true });
  return base;
}

/**
 * The unpacked package directory of a pinned payload (its `package/` folder), fetched and
 * verified on first use. Throws one line on a failed fetch or a wrong checksum.
 */
export function payload(key) {
  const pin = PINNED[key];
  if (!pin) throw new Error(`no pinned payload named ${key}`);
  const dir = join(cacheDir(), `${key}-${pin.version}`);
  if (existsSync(join(dir, 'package', 'package.json'))) return join(dir, 'package');
  const tmp = `${dir}.part-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  try {
    const r = spawnSync(
      'npm',
      [
        'pack',
        `${pin.name}@${pin.version}`,
        '--prefer-offline',
        '--json',
        '--pack-destination',
        tmp,
      ],
      { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] },
    );
    if (r.error?.code === 'ENOENT') throw new Error('npm is not installed');
    if (r.status !== 0)
      throw new Error(`npm pack ${pin.name}@${pin.version} failed: ${lastLine(r.stderr)}`);
    const file = join(tmp, JSON.parse(r.stdout)[0].filename);
    const got = `sha512-${createHash('sha512').update(readFileSync(file)).digest('base64')}`;
    if (got !== pin.integrity)
      throw new Error(`${pin.name}@${pin.version}: checksum ${got} is not the pinned one`);
    const x = spawnSync('tar', ['-xzf', file, '-C', tmp], { encoding: 'utf8' });
    if (x.status !== 0) throw new Error(`unpacking ${file} failed: ${lastLine(x.stderr)}`);
    rmSync(file);
    rmSync(dir, { recursive: true, force: true });
    renameSync(tmp, dir); // atomic: a half-unpacked payload is never seen as ready
    return join(dir, 'package');
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

function lastLine(text) {
  return (
    String(text ?? '')
      .trim()
      .split('\n')
      .filter((l) => l && !/^npm (error|ERR!) (A complete log|code)/.test(l))
      .at(-1) ?? 'no output'
  );
}
