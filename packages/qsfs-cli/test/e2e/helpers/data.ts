/**
 * Test data: incompressible bytes from a seed (AES-256-CTR keystream, key = sha256(seed)), so
 * a file's content and sha256 follow from `(seed, size)` alone. Files are written by a child
 * process (a writer), never by the test process, and each file is fsynced before the writer
 * reports it: what it reports is what the filesystem acknowledged as durable.
 */
import { createCipheriv, createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { LoggedProcess } from './proc.js'

export const KiB = 1024
export const MiB = 1024 * KiB

const CHUNK = MiB

/** The generator, as source text shared by this module and the writer child. */
const GENERATOR = `
function keystream(seed) {
  const { createCipheriv, createHash } = require('node:crypto')
  const key = createHash('sha256').update(String(seed)).digest()
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
  return (n) => cipher.update(Buffer.alloc(n))
}
`

function keystream(seed: string): (n: number) => Buffer {
  const key = createHash('sha256').update(seed).digest()
  const cipher = createCipheriv('aes-256-ctr', key, Buffer.alloc(16))
  return (n) => cipher.update(Buffer.alloc(n))
}

/** sha256 of the `size` bytes of `seed` (without writing them anywhere). */
export function expectedSha256(seed: string, size: number): string {
  const next = keystream(seed)
  const hash = createHash('sha256')
  for (let at = 0; at < size; at += CHUNK) hash.update(next(Math.min(CHUNK, size - at)))
  return hash.digest('hex')
}

/** sha256 of a file, read as a stream (through the mount: the FUSE handler is another process). */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256')
    createReadStream(path, { highWaterMark: CHUNK })
      .on('data', (chunk) => hash.update(chunk as Buffer))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')))
  })
}

export interface FileSpec {
  readonly path: string
  readonly size: number
  readonly seed: string
}

/** What the writer reports for each file. */
export interface Written extends FileSpec {
  readonly sha256: string
  readonly attempts: number
  readonly ms: number
}

export interface WriterReport {
  readonly written: Written[]
  /** Files given up on, with the last error. */
  readonly failed: { path: string; error: string }[]
  /** Every failed attempt (ENOTCONN while the mount restarts, …). */
  readonly errors: { path: string; error: string; attempt: number }[]
}

/** The writer child: writes each file (open, write, fsync, close), retrying failed ones. */
const WRITER = `${GENERATOR}
const { open, stat } = require('node:fs/promises')
const { dirname } = require('node:path')
const { createHash } = require('node:crypto')
const [files, options] = JSON.parse(process.argv[1])
const sleep = (ms) => new Promise((r) => setTimeout(r, ms))
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n')
;(async () => {
  // The device of the directory holding the mountpoint: a file on it missed the mount.
  const bare = options.mountpoint ? (await stat(dirname(options.mountpoint))).dev : null
  for (const f of files) {
    for (let attempt = 1; ; attempt++) {
      const started = Date.now()
      let fh
      try {
        const next = keystream(f.seed)
        const hash = createHash('sha256')
        fh = await open(f.path, 'w')
        for (let at = 0; at < f.size; at += ${CHUNK}) {
          const buf = next(Math.min(${CHUNK}, f.size - at))
          hash.update(buf)
          let off = 0
          while (off < buf.length) off += (await fh.write(buf, off, buf.length - off)).bytesWritten
        }
        if (options.fsync) await fh.sync()
        if (bare !== null && (await fh.stat()).dev === bare) {
          const e = new Error('written to the bare directory under the mountpoint, not to the mount')
          e.code = 'EDIVERTED'
          throw e
        }
        const h = fh
        fh = undefined
        await h.close()
        say({ kind: 'written', ...f, sha256: hash.digest('hex'), attempts: attempt, ms: Date.now() - started })
        break
      } catch (e) {
        if (fh) await fh.close().catch(() => {})
        const error = e.code || e.message
        say({ kind: 'error', path: f.path, error, attempt })
        if (attempt >= options.attempts) { say({ kind: 'failed', path: f.path, error }); break }
        await sleep(options.retryDelay)
      }
    }
    if (options.pause) await sleep(options.pause)
  }
  say({ kind: 'done' })
})().catch((e) => { say({ kind: 'crash', error: String(e && e.stack || e) }); process.exit(1) })
`

export interface WriterOptions {
  /** fsync each file before reporting it (default true). */
  readonly fsync?: boolean
  /** Tries per file (default 1: an error is final). */
  readonly attempts?: number
  /** Milliseconds between tries (default 1000). */
  readonly retryDelay?: number
  /** Milliseconds between files (default 0). */
  readonly pause?: number
  /**
   * The mountpoint: a file that ends up on the disk under it (written while it was not
   * mounted) is an error (EDIVERTED), not a written file.
   */
  readonly mountpoint?: string
}

/** A writer child working through `files`; `progress` counts files written so far. */
export class Writer {
  readonly proc: LoggedProcess
  readonly report: WriterReport = { written: [], failed: [], errors: [] }
  readonly done: Promise<WriterReport>
  #seen = 0

  constructor(files: readonly FileSpec[], logFile: string, options: WriterOptions = {}) {
    const opts = {
      fsync: options.fsync ?? true,
      attempts: options.attempts ?? 1,
      retryDelay: options.retryDelay ?? 1000,
      pause: options.pause ?? 0,
      mountpoint: options.mountpoint ?? null,
    }
    this.proc = new LoggedProcess(process.execPath, ['-e', WRITER, JSON.stringify([files, opts])], logFile)
    this.done = this.proc.exited.then(({ code, signal }) => {
      this.#parse()
      const out = this.proc.output()
      if (code !== 0 || !out.includes('{"kind":"done"}'))
        throw new Error(`the writer exited ${code ?? signal} before it was done:\n${out.slice(-4000)}`)
      return this.report
    })
  }

  #parse(): void {
    const lines = this.proc.output().split('\n')
    for (; this.#seen < lines.length - 1; this.#seen++) {
      const line = lines[this.#seen]!
      if (!line.startsWith('{')) continue
      const o = JSON.parse(line) as { kind: string } & Record<string, unknown>
      if (o.kind === 'written') {
        const { kind: _, ...rest } = o
        this.report.written.push(rest as unknown as Written)
      } else if (o.kind === 'error')
        this.report.errors.push({ path: String(o.path), error: String(o.error), attempt: Number(o.attempt) })
      else if (o.kind === 'failed') this.report.failed.push({ path: String(o.path), error: String(o.error) })
    }
  }

  /** Files written (fsynced) so far. */
  progress(): number {
    this.#parse()
    return this.report.written.length
  }

  /** Resolves once `n` files are written; rejects if the writer ends first. */
  async waitWritten(n: number, timeout = 120_000): Promise<void> {
    const until = Date.now() + timeout
    while (this.progress() < n) {
      if (!this.proc.running) {
        await this.done
        if (this.progress() < n)
          throw new Error(`the writer ended after ${this.progress()} of the ${n} files waited for`)
      }
      if (Date.now() > until)
        throw new Error(`the writer wrote ${this.progress()} of ${n} files in ${timeout / 1000} s`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }
}

/** Files `prefix-0 … prefix-(n-1)` of `size` bytes under `dir`, each with its own seed. */
export function fileSpecs(dir: string, prefix: string, n: number, size: number): FileSpec[] {
  return Array.from({ length: n }, (_, i) => ({
    path: `${dir}/${prefix}-${i}`,
    size,
    seed: `${prefix}-${i}-${size}`,
  }))
}

/**
 * Reads every file back (through the mount) and compares its sha256 with the one its seed
 * gives; `bad` lists the files that differ or cannot be read, `lines` says it per file.
 */
export async function readBack(
  files: readonly FileSpec[],
  rename: (path: string) => string = (p) => p,
): Promise<{ lines: string[]; bad: string[]; bytes: number }> {
  const lines: string[] = []
  const bad: string[] = []
  let bytes = 0
  for (const f of files) {
    const path = rename(f.path)
    const want = expectedSha256(f.seed, f.size)
    let got: string
    try {
      got = await sha256File(path)
    } catch (error) {
      got = `unreadable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`
    }
    if (got === want) {
      bytes += f.size
      lines.push(`${path}: ${f.size} bytes, sha256 ${got.slice(0, 16)}… ok`)
    } else {
      lines.push(`${path}: sha256 MISMATCH: got ${got}, want ${want}`)
      bad.push(path)
    }
  }
  return { lines, bad, bytes }
}

/** Drops the kernel's page cache, so reads reach the FUSE handler (and the zdb) again. */
export async function dropCaches(): Promise<void> {
  await writeFile('/proc/sys/vm/drop_caches', '3')
}
