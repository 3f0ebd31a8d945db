import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');

export const PACKAGE_VERSION = (
  JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

/**
 * What a packaged artefact's --version must print: the version and the commit of this checkout
 * (the packages are built from it before the integration tests run), as git says it.
 */
export function packagedVersion(): string {
  const git = (args: string[]) => spawnSync('git', args, { cwd: ROOT, encoding: 'utf8' }).stdout;
  const dirty = git(['status', '--porcelain', '--untracked-files=no']).trim() !== '';
  return `${PACKAGE_VERSION} (commit ${git(['rev-parse', '--short=12', 'HEAD']).trim()}${dirty ? '-dirty' : ''})`;
}
