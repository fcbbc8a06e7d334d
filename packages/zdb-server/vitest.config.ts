import { defineConfig } from 'vitest/config'

// CI machines are slower and busier than a developer's: the defaults (5 s per test, 10 s per
// hook) failed tests that spawn several processes. A hung test still fails, later.
export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Every chunk read is overwritten once handled, in in-process servers and spawned ones
    // alike, so that any request kept as a view of the shared read buffer breaks a test
    // (socket-reads.ts).
    env: { ZDB_POISON_READS: '1' },
  },
})
