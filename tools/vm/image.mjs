#!/usr/bin/env node
// npm run vm:image: the guest image for the end-to-end tests (test/vm), cached by its inputs.
// Bundles the guest's test executable (tools/vm/guest-tool.ts) with esbuild, keys the cache on
// image.sh, our deb and that bundle, and only on a miss compiles the bundle with the pinned Bun
// (as the agent is compiled: packaging/executable.mjs) and runs image.sh (debootstrap: root).
// Prints the image directory (vmlinuz, initrd.img, root.img, data.img) as its last line.
// Usage: node tools/vm/image.mjs DEB   (APP_SNAPSHOT_CACHE moves the cache, as for the runtimes)
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { compileExecutable } from '../../packaging/executable.mjs';
import { cacheDir } from '../../packaging/registry.mjs';
import { pruneOthers, withLock } from './cache.mjs';

const deb = process.argv[2];
if (!deb || !existsSync(deb)) {
  process.stderr.write(`usage: image.mjs DEB (no deb at ${deb}: run npm run package first)\n`);
  process.exit(2);
}
// One builder at a time per cache (the whole of this script runs under the lock).
const locked = withLock(
  join(cacheDir(), 'vm'),
  fileURLToPath(import.meta.url),
  process.argv.slice(2),
);
if (locked !== null) process.exit(locked);
const script = join(import.meta.dirname, 'image.sh');
const work = mkdtempSync(join(tmpdir(), 'asp-vmtool-'));
try {
  const cjs = join(work, 'guest-tool.cjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'guest-tool.ts')],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile: cjs,
    logLevel: 'warning',
  });
  const hash = createHash('sha256');
  for (const f of [script, deb, cjs]) hash.update(readFileSync(f));
  const out = join(cacheDir(), 'vm', hash.digest('hex').slice(0, 16));
  if (!existsSync(join(out, 'ready'))) {
    const tool = join(work, 'asp-guest');
    compileExecutable(cjs, tool, 'x64');
    const r = spawnSync('bash', [script, deb, tool, out], { stdio: ['ignore', 2, 2] });
    if (r.status !== 0) process.exit(r.status ?? 1);
    // One image is kept: older keys are older inputs (about 1 GB each); a killed build's
    // leftovers go too, without reaching through its mounts.
    pruneOthers(dirname(out), basename(out));
  }
  process.stdout.write(`${out}\n`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
