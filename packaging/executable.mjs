// The shipped single executables: the bundle compiled by Bun (`bun build --compile`), one per
// architecture, from the pinned registry runtimes (registry.mjs); no download at build time
// beyond npm's. Why Bun and not a Node single executable: docs/dev/030_evidence.md, "Why Bun, measured"
// (Node >= 18 needs glibc 2.28 and getrandom(2), i.e. no CentOS 7; Bun needs glibc 2.17).
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { payload } from './registry.mjs';

/** Our architecture names → the runtime payload, Bun's target, and each package format's name. */
export const ARCHES = {
  x64: { runtime: 'bun-linux-x64', target: 'bun-linux-x64-baseline', deb: 'amd64', rpm: 'x86_64' },
  arm64: { runtime: 'bun-linux-arm64', target: 'bun-linux-arm64', deb: 'arm64', rpm: 'aarch64' },
};

/** The Bun that runs the compiler: always this machine's (x64) one. */
export function hostBun() {
  return join(payload('bun-linux-x64'), 'bin', 'bun');
}

/**
 * Compiles `parts` (the entry first; the others embedded beside it and required at run time:
 * bundle.mjs's executableParts) into a standalone executable for `arch` at `out`. Bytecode is precompiled
 * (`--bytecode`): it costs ~9 MB and saves ~70 ms of start-up, which is on the way to the
 * first freeze. The executable reads no .env, bunfig.toml, tsconfig or package.json from the
 * directory it is started in: a plugin's behaviour must not depend on its working directory.
 */
export function compileExecutable(parts, out, arch) {
  const a = ARCHES[arch];
  if (!a) throw new Error(`unknown architecture ${arch}`);
  const runtime = join(payload(a.runtime), 'bin', 'bun');
  chmodSync(runtime, 0o755);
  const r = spawnSync(
    hostBun(),
    [
      'build',
      '--compile',
      `--target=${a.target}`,
      `--compile-executable-path=${runtime}`,
      '--bytecode',
      '--format=cjs',
      '--no-compile-autoload-dotenv',
      '--no-compile-autoload-bunfig',
      '--no-compile-autoload-tsconfig',
      '--no-compile-autoload-package-json',
      `--outfile=${resolve(out)}`,
      // By name, from their directory: Bun embeds each under its path from there, and the
      // entry requires the others as ./<name>.
      ...[parts].flat().map((p) => basename(p)),
    ],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
      cwd: dirname([parts].flat()[0]),
    },
  );
  if (r.status !== 0)
    throw new Error(`bun build --compile (${arch}) failed: ${`${r.stderr}${r.stdout}`.trim()}`);
  chmodSync(out, 0o755);
  return out;
}

/**
 * The Node single executable the project shipped before (this machine's node with the bundle
 * injected by postject). Not shipped any more: built only for the runtime comparison
 * (`npm run bench:runtimes`).
 */
export function compileNodeSea(cjs, out, workDir, root) {
  const config = join(workDir, 'sea-config.json');
  const blob = join(workDir, 'sea.blob');
  writeFileSync(
    config,
    JSON.stringify({ main: cjs, output: blob, disableExperimentalSEAWarning: true }),
  );
  must(process.execPath, ['--experimental-sea-config', config], workDir);
  copyFileSync(process.execPath, out);
  chmodSync(out, 0o755);
  must(
    process.execPath,
    [
      join(root, 'node_modules/postject/dist/cli.js'),
      out,
      'NODE_SEA_BLOB',
      blob,
      '--sentinel-fuse',
      'NODE_SEA_FUSE_fce680ab2cc467b6e072b8b5df1996b2',
    ],
    workDir,
  );
  return out;
}

function must(cmd, args, cwd) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(' ')} failed: ${`${r.stderr}${r.stdout}`.trim()}`);
}
