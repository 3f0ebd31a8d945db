// One self-contained CommonJS file with every dependency inside: `node app-snapshot-plugin.cjs`
// runs with no node_modules, and the same file is the single executable's embedded script.
import { build } from 'esbuild';

export async function bundle(outfile) {
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
    define: { 'import.meta.url': '__bundle_url', 'import.meta.dirname': '__dirname' },
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
