/**
 * The daemon's upload queue: jobs from the journal, run a few at a time, retried with
 * exponential backoff and full jitter (upstream re-pushes a failed job at once, forever, spec
 * zstor.md §4 "Scheduler"). A job leaves the journal only once its store succeeded, so a crash
 * at any point re-runs it at restart; a re-run of an upload that did finish finds the stored
 * copy identical and writes nothing, so every upload is stored exactly once.
 * @module
 */
import { rm } from 'node:fs/promises'
import type { ZstorClient } from '../client.js'
import { Journal, jobId, type UploadJob } from './journal.js'

/** What the queue uploads with: a client, or anything that stores like one (e.g. through a daemon). */
export type UploadTarget = Pick<ZstorClient, 'store'>

export interface UploadQueueOptions {
  readonly client: UploadTarget
  readonly dir: string
  /** Uploads run at once. */
  readonly concurrency?: number
  /** First retry delay, ms (doubles per failure). */
  readonly baseDelay?: number
  /** Longest retry delay, ms. */
  readonly maxDelay?: number
  readonly log?: (line: string) => void
  /** Called after each job ends, successfully or not. */
  readonly onResult?: (job: UploadJob, error: Error | null) => void
}

export interface QueueStats {
  readonly depth: number
  readonly running: number
  readonly failing: number
  readonly lastSuccess: number | null
  readonly lastError: string | null
}

export class UploadQueue {
  readonly #journal: Journal
  readonly #options: UploadQueueOptions
  readonly #jobs = new Map<string, UploadJob>()
  readonly #running = new Set<string>()
  readonly #idle: (() => void)[] = []
  #timer: NodeJS.Timeout | null = null
  #stopped = false
  #lastSuccess: number | null = null
  #lastError: string | null = null

  constructor(options: UploadQueueOptions) {
    this.#options = options
    this.#journal = new Journal(options.dir)
  }

  /** Loads the journal left by a previous run and starts working. */
  async start(): Promise<number> {
    for (const job of await this.#journal.load()) this.#jobs.set(job.id, { ...job, notBefore: 0 })
    this.#pump()
    return this.#jobs.size
  }

  /** Queues an upload durably; resolves once it is in the journal. Queuing a queued path is a no-op. */
  async enqueue(
    file: string,
    options: { keyPath?: string | null; delete?: boolean } = {},
  ): Promise<UploadJob> {
    const keyPath = options.keyPath ?? null
    const id = jobId(file, keyPath)
    const existing = this.#jobs.get(id)
    if (existing && !this.#running.has(id)) return existing
    const job: UploadJob = {
      id,
      file,
      keyPath,
      delete: options.delete ?? false,
      createdAt: Date.now(),
      attempts: 0,
      notBefore: 0,
      lastError: null,
    }
    await this.#journal.write(job)
    // A job queued again while it runs must run again after: its file may have changed.
    this.#jobs.set(id, existing ? { ...job, notBefore: 0 } : job)
    this.#pump()
    return job
  }

  stats(): QueueStats {
    const failing = [...this.#jobs.values()].filter((j) => j.attempts > 0).length
    return {
      depth: this.#jobs.size,
      running: this.#running.size,
      failing,
      lastSuccess: this.#lastSuccess,
      lastError: this.#lastError,
    }
  }

  jobs(): UploadJob[] {
    return [...this.#jobs.values()]
  }

  /** Resolves once the queue is empty (or at once if it is). */
  drained(): Promise<void> {
    if (this.#jobs.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** Stops starting jobs; waits for running ones. Queued jobs stay in the journal. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    while (this.#running.size > 0) await new Promise((r) => setTimeout(r, 20))
  }

  #delay(attempts: number): number {
    const base = this.#options.baseDelay ?? 1_000
    const max = this.#options.maxDelay ?? 300_000
    return Math.random() * Math.min(max, base * 2 ** Math.min(attempts - 1, 30))
  }

  #pump(): void {
    if (this.#stopped) return
    if (this.#timer) {
      clearTimeout(this.#timer)
      this.#timer = null
    }
    const limit = this.#options.concurrency ?? 2
    const now = Date.now()
    let soonest = Number.POSITIVE_INFINITY
    for (const job of this.#jobs.values()) {
      if (this.#running.size >= limit) break
      if (this.#running.has(job.id)) continue
      if (job.notBefore > now) {
        soonest = Math.min(soonest, job.notBefore)
        continue
      }
      void this.#run(job)
    }
    if (Number.isFinite(soonest)) this.#timer = setTimeout(() => this.#pump(), soonest - now)
  }

  async #run(job: UploadJob): Promise<void> {
    this.#running.add(job.id)
    let error: Error | null = null
    try {
      await this.#options.client.store(job.file, job.keyPath ? { keyPath: job.keyPath } : {})
      if (job.delete) await rm(job.file, { force: true })
    } catch (e) {
      error = e as Error
    }
    this.#running.delete(job.id)
    const current = this.#jobs.get(job.id)
    if (!error) {
      this.#lastSuccess = Date.now()
      // Re-queued while running: keep the newer job.
      if (current === job) {
        this.#jobs.delete(job.id)
        await this.#journal.remove(job.id)
      }
    } else if (current === job && (error as { code?: string }).code === 'ERR_STORE_PATH') {
      // The file is gone or unreadable: retrying cannot help, so the job is dropped, loudly.
      this.#lastError = error.message
      this.#options.log?.(`upload of ${job.file} dropped: ${error.message}`)
      this.#jobs.delete(job.id)
      await this.#journal.remove(job.id)
    } else if (current === job) {
      job.attempts++
      job.lastError = error.message
      job.notBefore = Date.now() + this.#delay(job.attempts)
      this.#lastError = error.message
      this.#options.log?.(
        `upload of ${job.file} failed (attempt ${job.attempts}), retrying in ${Math.round((job.notBefore - Date.now()) / 1000)} s: ${error.message}`,
      )
      await this.#journal.write(job).catch(() => undefined)
    }
    this.#options.onResult?.(job, error)
    if (this.#jobs.size === 0) for (const resolve of this.#idle.splice(0)) resolve()
    this.#pump()
  }
}
