// The suites `npm run mutate` (StrykerJS, stryker.config.mjs) runs against each mutant: the unit
// tests, which include every conformance suite's run against fakes and real helper processes.
// No root, no loop devices: a mutant must be killed by a test any contributor can run.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts'],
  },
});
