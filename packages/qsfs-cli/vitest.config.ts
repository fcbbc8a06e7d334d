import { defineConfig } from 'vitest/config'

/**
 * `pnpm test`: the unit tests (test/*.test.ts) in parallel, then the end-to-end scenarios 1–5
 * (test/e2e/*.test.ts) one file at a time: they run real nodes, backends and FUSE mounts and
 * need the CPU. Scenarios 6–7 (`*.e2e-full.test.ts`) run only with `pnpm test:e2e`
 * (vitest.e2e.config.ts).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          exclude: ['test/e2e/**/*.e2e-full.test.ts'],
          fileParallelism: false,
          testTimeout: 300_000,
          hookTimeout: 120_000,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
})
