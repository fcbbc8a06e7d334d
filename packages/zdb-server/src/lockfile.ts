/**
 * Exclusive use of a data or index root through `<root>/.lockfile` (spec zdb.md §2).
 *
 * Upstream holds an `flock` on that file; Node has no `flock`, so the file holds the owner's
 * pid instead: it is created with `O_EXCL`, and an existing file whose pid is not a live process
 * (or is empty, as upstream leaves it) is stale and taken over. Roots locked by this process are
 * tracked in memory too, since the pid check cannot tell two servers of one process apart.
 * @module
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeFileSync, writeSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { ZdbLockedError } from './errors.js'

export const LOCK_FILE = '.lockfile'

const heldHere = new Set<string>()

/** A held lock; `release()` is idempotent. */
export interface DirectoryLock {
  readonly path: string
  release(): void
}

export function acquireLock(root: string, what: string): DirectoryLock {
  const dir = resolve(root)
  const path = join(dir, LOCK_FILE)
  if (heldHere.has(dir)) {
    throw new ZdbLockedError(`${what} directory ${dir} is already used by another zdb-server in this process`)
  }
  const pid = String(process.pid)
  try {
    const fd = openSync(path, 'wx')
    try {
      writeSync(fd, pid)
    } finally {
      closeSync(fd)
    }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err
    const owner = Number.parseInt(readFileSync(path, 'latin1').trim(), 10)
    if (owner > 0 && owner !== process.pid && isAlive(owner)) {
      throw new ZdbLockedError(
        `${what} directory ${dir} is in use by another zdb-server (pid ${owner}, see ${path}); ` +
          'stop that server or choose another directory',
      )
    }
    writeFileSync(path, pid)
  }
  heldHere.add(dir)
  let released = false
  return {
    path,
    release() {
      if (released) return
      released = true
      heldHere.delete(dir)
      try {
        if (readFileSync(path, 'latin1').trim() === pid) unlinkSync(path)
      } catch {
        // Already gone: nothing left to release.
      }
    },
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}
