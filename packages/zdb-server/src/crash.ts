/**
 * The `crash` hook of the standalone server (spec zdb.md §3: upstream runs it from its SIGSEGV
 * handler, without waiting). A Node process does not survive a SIGSEGV, so the CLI's
 * equivalent is a fatal uncaught exception or unhandled rejection: the error is printed, the
 * hook runs as `[hook, 'crash', zdbid]`, and the process exits 1.
 *
 * The hook is waited for, at most {@link CRASH_HOOK_TIMEOUT_MS}, with the event loop blocked:
 * no request is served by a process whose state is no longer trusted, and the hook finishes
 * before a supervisor that kills the service's leftover processes (systemd's control group)
 * can cut it short. A hook still running then is killed.
 * @module
 */
import { Hooks } from './hooks.js'
import type { ZdbLogger } from './logger.js'

export const CRASH_HOOK_TIMEOUT_MS = 10_000

/** Exit status after a fatal error, as Node's own for an uncaught exception. */
const CRASH_EXIT_STATUS = 1

export interface CrashOptions {
  /** `--hook`; without it a fatal error is only printed. */
  hook: string | undefined
  zdbid: string
  logger: ZdbLogger
}

/** Makes a fatal error run the `crash` hook before the process exits 1. */
export function exitOnCrash(options: CrashOptions): void {
  const hooks =
    options.hook === undefined
      ? undefined
      : new Hooks({ exe: options.hook, logger: options.logger, now: () => Math.floor(Date.now() / 1000) })
  if (hooks) hooks.zdbid = options.zdbid
  // An unhandled rejection reaches this listener too (Node's default `--unhandled-rejections=throw`).
  process.on('uncaughtException', (err, origin) => {
    const what = origin === 'unhandledRejection' ? 'unhandled rejection' : 'uncaught exception'
    process.stderr.write(`zdb-server: fatal ${what}: ${err instanceof Error ? err.stack : String(err)}\n`)
    try {
      const status = hooks?.runSync('crash', [], CRASH_HOOK_TIMEOUT_MS)
      if (status !== undefined && status !== 0) options.logger.warn(`hook crash exited with status ${status}`)
    } finally {
      process.exit(CRASH_EXIT_STATUS)
    }
  })
}

/**
 * Test-only (test/crash-hook.test.ts): `ZDB_SERVER_TEST_FAULT=throw|reject` in the environment
 * makes the CLI fail right after it is ready, with a fault no request can cause, so the crash
 * path can be exercised. Nothing else reads this variable.
 */
export function injectTestFault(kind: string | undefined): void {
  if (kind === 'throw') {
    setImmediate(() => {
      throw new Error('injected test fault (ZDB_SERVER_TEST_FAULT=throw)')
    })
  } else if (kind === 'reject') {
    void Promise.reject(new Error('injected test fault (ZDB_SERVER_TEST_FAULT=reject)'))
  }
}
