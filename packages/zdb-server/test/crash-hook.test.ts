/**
 * The `crash` hook (spec zdb.md §3) of the built CLI: a fatal uncaught exception or unhandled
 * rejection runs `hook crash <zdbid>`, waits for it, and exits 1. The fault is injected with the
 * test-only `ZDB_SERVER_TEST_FAULT` variable (src/crash.ts).
 */
import { spawn, spawnSync } from 'node:child_process'
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { type TempDirs, tempDirs } from './helpers/server.js'

const CLI = join(import.meta.dirname, '../dist/cli.js')
let dirs: TempDirs

beforeEach(() => {
  dirs = tempDirs()
})
afterEach(() => dirs.remove())

/** Runs the CLI on port 0 until it exits, with `fault` injected. */
function crash(fault: string, extra: string[] = []) {
  const r = spawnSync(
    process.execPath,
    [CLI, '--port', '0', '--data', dirs.dataDir, '--index', dirs.indexDir, ...extra],
    { encoding: 'utf8', timeout: 20_000, env: { ...process.env, ZDB_SERVER_TEST_FAULT: fault } },
  )
  const port = /listening on 127\.0\.0\.1:(\d+)/.exec(r.stdout)?.[1]
  return { status: r.status, stderr: r.stderr, port }
}

/** A hook that records only `crash`, half a second late, so an exit that did not wait misses it. */
function slowCrashHook(): { hook: string; log: string } {
  const hook = join(dirs.root, 'hook.sh')
  const log = join(dirs.root, 'crash.log')
  writeFileSync(hook, `#!/bin/sh\n[ "$1" = crash ] || exit 0\nsleep 0.5\necho "$@" >> '${log}'\n`)
  chmodSync(hook, 0o755)
  return { hook, log }
}

describe('crash hook', () => {
  it('an uncaught exception runs the crash hook with the zdbid, waits for it, and exits 1', () => {
    const { hook, log } = slowCrashHook()
    const r = crash('throw', ['--hook', hook])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^zdb-server: fatal uncaught exception: Error: injected test fault/)
    expect(r.port).toBeDefined()
    expect(readFileSync(log, 'utf8')).toBe(`crash tcp://127.0.0.1:${r.port}\n`)
  })

  it('an unhandled rejection does the same', () => {
    const { hook, log } = slowCrashHook()
    const r = crash('reject', ['--hook', hook])
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^zdb-server: fatal unhandled rejection: Error: injected test fault/)
    expect(readFileSync(log, 'utf8')).toBe(`crash tcp://127.0.0.1:${r.port}\n`)
  })

  it('with --socket the hook gets unix://<path>', () => {
    const { hook, log } = slowCrashHook()
    const socket = join(dirs.root, 'zdb.sock')
    const r = crash('throw', ['--hook', hook, '--socket', socket])
    expect(r.status).toBe(1)
    expect(readFileSync(log, 'utf8')).toBe(`crash unix://${socket}\n`)
  })

  it('without --hook a fatal error is printed and the process exits 1', () => {
    const { log } = slowCrashHook()
    const r = crash('throw')
    expect(r.status).toBe(1)
    expect(r.stderr).toMatch(/^zdb-server: fatal uncaught exception: Error: injected test fault/)
    expect(existsSync(log)).toBe(false)
  })

  it('without the test variable the server does not fail', async () => {
    const { hook, log } = slowCrashHook()
    const child = spawn(
      process.execPath,
      [CLI, '--port', '0', '--data', dirs.dataDir, '--index', dirs.indexDir, '--hook', hook],
      {
        env: { ...process.env, ZDB_SERVER_TEST_FAULT: '' },
      },
    )
    try {
      await new Promise<void>((resolve, reject) => {
        let out = ''
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString()
          if (out.includes('listening on')) resolve()
        })
        child.once('exit', (code) => reject(new Error(`exited with ${code}`)))
      })
      // Longer than the injected fault takes to fire and the hook to run.
      await new Promise((resolve) => setTimeout(resolve, 1000))
      expect(child.exitCode).toBe(null)
      expect(existsSync(log)).toBe(false)
    } finally {
      child.kill('SIGKILL')
    }
  })
})
