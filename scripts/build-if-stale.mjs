#!/usr/bin/env node
// `npm run build` only when a source is newer than the build (npm run emulator: a start in a
// second, not ~30 s of tsc, when nothing changed). Current = every input (src/, tools/, the
// tsconfigs, package-lock.json) is older than both entry points tsc rewrites on every build.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const mtime = (p) => {
  try {
    return statSync(p).mtimeMs;
  } catch {
    return undefined;
  }
};
function newest(dir) {
  let max = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile()) max = Math.max(max, mtime(join(e.parentPath, e.name)) ?? 0);
  return max;
}
const inputs = Math.max(
  newest(join(root, 'src')),
  newest(join(root, 'tools')),
  ...['tsconfig.json', 'tsconfig.build.json', 'tsconfig.tools.json', 'package-lock.json'].map(
    (f) => mtime(join(root, f)) ?? 0,
  ),
);
const outputs = ['dist/cli/main.js', 'dist-tools/tools/emulator/main.js'].map((f) =>
  mtime(join(root, f)),
);
const built = outputs.includes(undefined) ? 0 : Math.min(...outputs);
if (built <= inputs) {
  process.stderr.write('build: sources changed since the last build, running npm run build\n');
  const r = spawnSync('npm', ['run', '--silent', 'build'], { cwd: root, stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
