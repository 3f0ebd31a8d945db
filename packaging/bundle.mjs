// One self-contained CommonJS file with every dependency inside: `node app-snapshot-plugin.cjs`
// runs with no node_modules, and the same file is the single executable's embedded script.
import { spawnSync } from 'node:child_process';
import { build } from 'esbuild';

/** git's short commit of the tree being built, "-dirty" when it has changes; undefined outside git. */
export function buildCommit(cwd = process.cwd()) {
  const git = (args) => spawnSync('git', args, { cwd, encoding: 'utf8' });
  const head = git(['rev-parse', '--short=12', 'HEAD']);
  if (head.status !== 0) return undefined;
  const dirty = git(['status', '--porcelain', '--untracked-files=no']).stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? '-dirty' : ''}`;
}

export async function bundle(outfile, commit = buildCommit()) {
  const r = await build({
    entryPoints: ['src/cli/main.ts'],
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    outfile,
    minifyWhitespace: true,
    minifySyntax: true,
    keepNames: true,
    legalComments: 'none',
    // ESM dependencies read import.meta.url (e.g. to find files next to themselves).
    define: {
      'import.meta.url': '__bundle_url',
      'import.meta.dirname': '__dirname',
      // --version says the commit (src/version.ts); outside git, nothing is defined.
      ...(commit ? { __APP_SNAPSHOT_COMMIT__: JSON.stringify(commit) } : {}),
    },
    banner: { js: "const __bundle_url = require('url').pathToFileURL(__filename).href;" },
    alias: {
      'supports-color': './packaging/optional-stub.cjs',
      cardinal: './packaging/optional-stub.cjs',
    },
    logLevel: 'warning',
    metafile: true,
  });
  return r.metafile;
}
