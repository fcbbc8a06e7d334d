/**
 * The node's durable upload queue. A job is a list of files uploaded in order (a snapshot of
 * the open segment uploads its data file before its index file, so the stored index never
 * points past the stored data). Jobs are journaled (write, fsync, rename, fsync the directory)
 * before the event that made them is acknowledged, so `kill -9` of any process loses none: the
 * next start runs what the journal holds. Jobs of one namespace run one at a time, oldest
 * first, so a late snapshot can never overwrite the closed segment uploaded after it; a newer
 * job with the same id replaces a waiting one (a newer snapshot makes the older useless).
 * @module
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { writeFileDurably } from './durable-file.js'

export interface Upload {
  /** The file to read. */
  readonly file: string
  /** The directory it is stored as if it were in (zstor `--key-path`). */
  readonly keyDir: string
}

export interface Job {
  /** Same id, same purpose: `snap:<ns>`, `data:<ns>:<N>`, `index:<ns>:<N>`, `desc:<ns>`. */
  readonly id: string
  /** Jobs of one lane (namespace) run one at a time, in order. */
  readonly lane: string
  /** The segment number it concerns (-1 for a namespace descriptor). */
  readonly fileId: number
  readonly uploads: readonly Upload[]
  /** Files deleted once the job is done (staging copies). */
  readonly cleanup: readonly string[]
  /** What it captured, for its owner (a snapshot's `fileId:dataSize:indexSize`). */
  readonly state?: string
  /** Unix ms when what it uploads was captured. */
  readonly capturedAt: number
  /** Order of creation. */
  readonly seq: number
  attempts: number
  notBefore: number
  lastError: string | null
}

export interface OutboxOptions {
  readonly dir: string
  /** Uploads one file; throws on failure. */
  readonly upload: (upload: Upload) => Promise<void>
  /** Jobs run at once (each in its own lane). */
  readonly concurrency?: number
  readonly baseDelay?: number
  readonly maxDelay?: number
  readonly log?: (line: string) => void
  readonly onDone?: (job: Job) => void
}

export interface OutboxStats {
  readonly depth: number
  readonly running: number
  readonly failing: number
  readonly lastSuccess: number | null
  readonly lastError: string | null
}

const SUFFIX = '.job'
const fileOf = (id: string) => `${Buffer.from(id).toString('base64url')}${SUFFIX}`

export class Outbox {
  readonly #options: OutboxOptions
  readonly #jobs = new Map<string, Job>()
  readonly #running = new Set<string>()
  readonly #busyLanes = new Set<string>()
  readonly #idle: (() => void)[] = []
  #seq = 0
  #timer: NodeJS.Timeout | null = null
  #stopped = false
  #lastSuccess: number | null = null
  #lastError: string | null = null

  constructor(options: OutboxOptions) {
    this.#options = options
    mkdirSync(options.dir, { recursive: true })
  }

  /** Loads the jobs a previous run left and starts; returns how many. */
  start(): number {
    for (const name of readdirSync(this.#options.dir)) {
      if (!name.endsWith(SUFFIX)) continue
      try {
        const job = JSON.parse(readFileSync(join(this.#options.dir, name), 'utf8')) as Job
        this.#jobs.set(job.id, { ...job, notBefore: 0 })
        this.#seq = Math.max(this.#seq, job.seq + 1)
      } catch {
        // A torn temp file never has the suffix; a bad job file is set aside, not fatal.
        renameSync(join(this.#options.dir, name), join(this.#options.dir, `${name}.bad`))
      }
    }
    this.#pump()
    return this.#jobs.size
  }

  /** Queues a job durably (replacing a waiting one with its id); returns once it is journaled. */
  add(job: Omit<Job, 'seq' | 'attempts' | 'notBefore' | 'lastError'>): void {
    const full: Job = { ...job, seq: this.#seq++, attempts: 0, notBefore: 0, lastError: null }
    const replaced = this.#jobs.get(job.id)
    this.#write(full)
    this.#jobs.set(job.id, full)
    if (replaced && !this.#running.has(job.id)) this.#clean(replaced, full)
    this.#pump()
  }

  /** Drops waiting jobs that `keep` rejects (e.g. snapshots older than a closed segment). */
  drop(keep: (job: Job) => boolean): void {
    for (const job of [...this.#jobs.values()]) {
      if (this.#running.has(job.id) || keep(job)) continue
      this.#jobs.delete(job.id)
      this.#unlink(job.id)
      this.#clean(job, null)
    }
    this.#settle()
  }

  /** Retries failed jobs now (the daemon they failed on is back). */
  kick(): void {
    for (const job of this.#jobs.values()) job.notBefore = 0
    this.#pump()
  }

  get(id: string): Job | undefined {
    return this.#jobs.get(id)
  }

  has(id: string): boolean {
    return this.#jobs.has(id)
  }

  isRunning(id: string): boolean {
    return this.#running.has(id)
  }

  jobs(): Job[] {
    return [...this.#jobs.values()].sort((a, b) => a.seq - b.seq)
  }

  stats(): OutboxStats {
    return {
      depth: this.#jobs.size,
      running: this.#running.size,
      failing: [...this.#jobs.values()].filter((j) => j.attempts > 0).length,
      lastSuccess: this.#lastSuccess,
      lastError: this.#lastError,
    }
  }

  /** Resolves once no job is left. */
  drained(): Promise<void> {
    if (this.#jobs.size === 0) return Promise.resolve()
    return new Promise((resolve) => this.#idle.push(resolve))
  }

  /** Starts nothing new; waits for running jobs. Waiting ones stay journaled. */
  async stop(): Promise<void> {
    this.#stopped = true
    if (this.#timer) clearTimeout(this.#timer)
    while (this.#running.size > 0) await new Promise((r) => setTimeout(r, 20))
  }

  #write(job: Job): void {
    writeFileDurably(join(this.#options.dir, fileOf(job.id)), JSON.stringify(job))
  }

  #unlink(id: string): void {
    rmSync(join(this.#options.dir, fileOf(id)), { force: true })
  }

  /** Deletes the staging files of `old` that `next` does not use. */
  #clean(old: Job, next: Job | null): void {
    for (const file of old.cleanup)
      if (!next?.cleanup.includes(file)) rmSync(file, { force: true, recursive: true })
  }

  #settle(): void {
    if (this.#jobs.size === 0) for (const resolve of this.#idle.splice(0)) resolve()
  }

  #delay(attempts: number): number {
    const base = this.#options.baseDelay ?? 1_000
    const max = this.#options.maxDelay ?? 60_000
    return base / 2 + Math.random() * Math.min(max, base * 2 ** Math.min(attempts - 1, 20))
  }

  #pump(): void {
    if (this.#stopped) return
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    const limit = this.#options.concurrency ?? 2
    const now = Date.now()
    let soonest = Number.POSITIVE_INFINITY
    const seen = new Set<string>()
    for (const job of this.jobs()) {
      if (this.#running.size >= limit) break
      // Only the oldest job of a lane may run: order within a namespace is what keeps it safe.
      if (seen.has(job.lane)) continue
      seen.add(job.lane)
      if (this.#busyLanes.has(job.lane)) continue
      if (job.notBefore > now) {
        soonest = Math.min(soonest, job.notBefore)
        continue
      }
      void this.#run(job)
    }
    if (Number.isFinite(soonest)) this.#timer = setTimeout(() => this.#pump(), soonest - now)
  }

  async #run(job: Job): Promise<void> {
    this.#running.add(job.id)
    this.#busyLanes.add(job.lane)
    let error: Error | null = null
    try {
      for (const upload of job.uploads) await this.#options.upload(upload)
    } catch (e) {
      error = e as Error
    }
    this.#running.delete(job.id)
    this.#busyLanes.delete(job.lane)
    const current = this.#jobs.get(job.id)
    if (!error) {
      this.#lastSuccess = Date.now()
      // Before cleanup: the owner may look at the uploaded files (sizes).
      this.#options.onDone?.(job)
      if (current === job) {
        this.#jobs.delete(job.id)
        this.#unlink(job.id)
        this.#clean(job, null)
      } else if (current) {
        // Replaced while it ran: its files may be the replacement's; clean only its own.
        this.#clean(job, current)
      } else this.#clean(job, null)
    } else if (current === job) {
      job.attempts++
      job.lastError = error.message
      job.notBefore = Date.now() + this.#delay(job.attempts)
      this.#lastError = error.message
      this.#options.log?.(
        `upload ${job.id} failed (attempt ${job.attempts}), retrying in ${Math.round((job.notBefore - Date.now()) / 1000)} s: ${error.message}`,
      )
    } else if (current === undefined || current !== job) {
      this.#clean(job, current ?? null)
    }
    this.#settle()
    this.#pump()
  }
}
