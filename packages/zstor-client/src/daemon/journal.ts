/**
 * The durable upload queue's journal: one small JSON file per queued upload in a directory,
 * written to a temporary name, fsynced, renamed into place, and the directory fsynced, before
 * the request is acknowledged. It survives `kill -9` and reboots: the daemon re-reads the
 * directory at start. A job's file name is derived from what it uploads, so queueing the same
 * path twice keeps one job (deduplication); upstream keeps queued uploads in memory only and
 * loses them when killed (spec zstor.md §4 "Scheduler").
 * @module
 */
import { createHash } from 'node:crypto'
import { mkdirSync } from 'node:fs'
import { open, readdir, readFile, rename, rm } from 'node:fs/promises'
import { join } from 'node:path'
import { DaemonError } from '../errors.js'

/** One queued upload. */
export interface UploadJob {
  /** Derived from `file` and `keyPath`: the same upload always has the same id. */
  readonly id: string
  readonly file: string
  readonly keyPath: string | null
  /** Delete the local file once it is stored (upstream's `--delete`). */
  readonly delete: boolean
  readonly createdAt: number
  /** Failed attempts so far. */
  attempts: number
  /** Not before this time (ms since the epoch): the backoff. */
  notBefore: number
  /** Why the last attempt failed. */
  lastError: string | null
}

const SUFFIX = '.job'

export function jobId(file: string, keyPath: string | null): string {
  return createHash('sha256')
    .update(`${file}\0${keyPath ?? ''}`)
    .digest('hex')
    .slice(0, 32)
}

async function fsyncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

export class Journal {
  readonly dir: string

  constructor(dir: string) {
    this.dir = dir
    try {
      mkdirSync(dir, { recursive: true })
    } catch (error) {
      throw new DaemonError(
        'ERR_JOURNAL',
        `cannot create the upload journal ${dir}: ${(error as Error).message}`,
      )
    }
  }

  #path(id: string): string {
    return join(this.dir, `${id}${SUFFIX}`)
  }

  /** Writes `job` durably: when this resolves, the job survives a crash. */
  async write(job: UploadJob): Promise<void> {
    const temp = join(this.dir, `.${job.id}.${process.pid}.${Date.now()}.tmp`)
    try {
      const handle = await open(temp, 'w', 0o600)
      try {
        await handle.writeFile(JSON.stringify(job))
        await handle.sync()
      } finally {
        await handle.close()
      }
      await rename(temp, this.#path(job.id))
      await fsyncDir(this.dir)
    } catch (error) {
      await rm(temp, { force: true })
      throw new DaemonError(
        'ERR_JOURNAL',
        `cannot write to the upload journal ${this.dir}: ${(error as Error).message}`,
      )
    }
  }

  /** Removes a finished job durably. */
  async remove(id: string): Promise<void> {
    await rm(this.#path(id), { force: true })
    await fsyncDir(this.dir).catch(() => undefined)
  }

  /** Every job in the journal; unreadable files (a torn temporary write) are skipped and removed. */
  async load(): Promise<UploadJob[]> {
    const jobs: UploadJob[] = []
    for (const name of await readdir(this.dir)) {
      const path = join(this.dir, name)
      if (name.endsWith('.tmp')) {
        await rm(path, { force: true })
        continue
      }
      if (!name.endsWith(SUFFIX)) continue
      try {
        const job = JSON.parse(await readFile(path, 'utf8')) as UploadJob
        if (typeof job.id === 'string' && typeof job.file === 'string') jobs.push(job)
      } catch {
        await rm(path, { force: true })
      }
    }
    return jobs.sort((a, b) => a.createdAt - b.createdAt)
  }
}
