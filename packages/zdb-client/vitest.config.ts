import { defineConfig } from 'vitest/config'

// CI machines are slower and busier than a developer's: the defaults (5 s per test, 10 s per
// hook) failed tests that spawn several processes. A hung test still fails, later.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
})
