// npm run mutate: mutation testing of the safety core (StrykerJS). Each mutant is a small break
// of the product (a condition flipped, a call removed); a test must fail for it. The score per
// folder is in reports/mutation/ (HTML and JSON) and on the console; survivors are either
// killed by a new test or listed as equivalent in test/README.md.
// MUTATE narrows it (comma-separated globs), e.g. MUTATE=src/system/lock.ts npm run mutate.
const scope = [
  'src/freeze/**/*.ts',
  'src/plugin/**/*.ts',
  'src/system/lock.ts',
  'src/scripts/**/*.ts',
  'src/errors/exit-code-for.ts',
  // What decides which snapshot groups are deleted.
  'src/retention/policy.ts',
  'src/retention/options.ts',
];

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  mutate: process.env.MUTATE ? process.env.MUTATE.split(',') : scope,
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  coverageAnalysis: 'perTest',
  // The watchdog runs as a child process from the build (test/support/fake-fsfreeze.ts): build
  // the instrumented sources in the sandbox so that its mutants run there too (the active
  // mutant reaches the child through the environment).
  buildCommand: 'npm run build',
  concurrency: Number(process.env.STRYKER_CONCURRENCY ?? 2),
  timeoutMS: 20000,
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  thresholds: { high: 90, low: 85, break: null },
  ignorePatterns: ['dist', 'dist-tools', 'reports', '.stryker-tmp'],
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
