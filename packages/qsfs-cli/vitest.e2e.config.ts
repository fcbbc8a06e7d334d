import { defineConfig } from 'vitest/config'

/**
 * `pnpm test:e2e`: every end-to-end scenario (1–7), one file at a time, including the ones
 * `pnpm test` leaves out (`*.e2e-full.test.ts`: everything killed at once, network namespaces).
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 120_000,
  },
})
