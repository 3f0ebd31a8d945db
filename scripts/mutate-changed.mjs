// npm run mutate:changed [-- BASE]: mutation testing of the safety-core files changed since BASE
// (default: the merge base with origin/main, else HEAD~1). The full run takes about an hour; this
// one takes minutes, so it is the one to run before a change to the safety core lands.
import { execFileSync, spawnSync } from 'node:child_process';

const SCOPE = [
  'src/freeze/',
  'src/plugin/',
  'src/system/lock.ts',
  'src/scripts/',
  'src/errors/exit-code-for.ts',
];
const git = (...args) => execFileSync('git', args, { encoding: 'utf8' }).trim();
const tryGit = (...args) => {
  try {
    return git(...args);
  } catch {
    return undefined;
  }
};

const base = process.argv[2] ?? tryGit('merge-base', 'HEAD', 'origin/main') ?? 'HEAD~1';
const changed = git('diff', '--name-only', base, '--', ...SCOPE)
  .split('\n')
  .filter((f) => f.endsWith('.ts'));
if (!changed.length) {
  console.log(`no safety-core file changed since ${base}: nothing to mutate`);
  process.exit(0);
}
console.log(`mutating ${changed.length} file(s) changed since ${base}: ${changed.join(', ')}`);
const r = spawnSync('npx', ['stryker', 'run'], {
  stdio: 'inherit',
  env: { ...process.env, MUTATE: changed.join(',') },
});
process.exit(r.status ?? 1);
