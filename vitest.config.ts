import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // `npm run test:coverage` (CI prints the summary): what the unit tests reach of src/.
    coverage: {
      provider: 'v8',
      include: ['src/**/*.ts'],
      reporter: ['text-summary'],
    },
    projects: [
      {
        test: {
          name: 'unit',
          setupFiles: ['test/support/test-env.ts'],
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        // Root, loop devices and real freezes: one file at a time, generous timeouts.
        test: {
          name: 'integration',
          setupFiles: ['test/support/test-env.ts'],
          include: ['test/integration/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 180_000,
        },
      },
      {
        // Debian guests under QEMU's software emulation (npm run test:vm): minutes, not seconds.
        // The test's own bounds (each boot event, each command) name what never came; this
        // limit is only the last resort above their sum (two boots in the cluster case).
        test: {
          name: 'vm',
          setupFiles: ['test/support/test-env.ts'],
          include: ['test/vm/**/*.test.ts'],
          fileParallelism: false,
          testTimeout: 1_800_000,
          hookTimeout: 900_000,
        },
      },
    ],
  },
});
