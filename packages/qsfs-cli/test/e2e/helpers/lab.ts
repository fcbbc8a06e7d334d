/**
 * One scenario's world: a temporary directory, the backends, nodes and writers started in it,
 * and whatever else must be undone (network namespaces). `cleanup` undoes all of it whatever
 * state the scenario left: nodes stopped (SIGTERM, then SIGKILL of every process of them),
 * mounts lazily unmounted, backends killed, the directory removed.
 */
import { mkdtempSync, readFileSync, realpathSync } from 'node:fs'
import { readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll } from 'vitest'
import { Backend } from './backend.js'
import { type FileSpec, Writer, type WriterOptions } from './data.js'
import { type InitOptions, mountsUnder, QsfsNode } from './node.js'
import { assertBuilt, run } from './proc.js'

export class Lab {
  readonly name: string
  readonly root: string
  readonly backends: Backend[] = []
  readonly nodes: QsfsNode[] = []
  readonly writers: Writer[] = []
  readonly #undo: { what: string; fn: () => Promise<void> }[] = []
  readonly #started = Date.now()
  #backendSeq = 0

  constructor(name: string) {
    this.name = name
    this.root = realpathSync(mkdtempSync(join(tmpdir(), `qsfs-e2e-${name}-`)))
  }

  /** console.log with the scenario's name and the seconds since it started. */
  log(...lines: string[]): void {
    const t = ((Date.now() - this.#started) / 1000).toFixed(1).padStart(6)
    for (const line of lines) console.log(`[${this.name} ${t}s] ${line}`)
  }

  /** Starts `n` backends on loopback (free ports). */
  async startBackends(n: number): Promise<Backend[]> {
    const started = await Promise.all(
      Array.from({ length: n }, () =>
        this.addBackend({ dir: join(this.root, `backend-${this.#backendSeq++}`) }),
      ),
    )
    return started
  }

  async addBackend(options: ConstructorParameters<typeof Backend>[0]): Promise<Backend> {
    const backend = new Backend(options)
    this.backends.push(backend)
    await backend.start()
    return backend
  }

  /** `qsfs init` of a node in `root/name` (not started). */
  async initNode(name: string, options: InitOptions): Promise<QsfsNode> {
    const node = await QsfsNode.init(join(this.root, name), options)
    this.nodes.push(node)
    return node
  }

  /** A node on a directory prepared by hand (for `qsfs recover`). */
  adoptNode(node: QsfsNode): QsfsNode {
    this.nodes.push(node)
    return node
  }

  writer(files: readonly FileSpec[], options: WriterOptions = {}): Writer {
    const w = new Writer(files, join(this.root, `writer-${this.writers.length}.log`), options)
    this.writers.push(w)
    return w
  }

  /** Something cleanup must undo (run in reverse order, after the nodes and backends). */
  onCleanup(what: string, fn: () => Promise<void>): void {
    this.#undo.push({ what, fn })
  }

  /** Prints the end of every log of the scenario (on failure). */
  async dumpLogs(): Promise<void> {
    const files: string[] = []
    const walk = async (dir: string, depth: number) => {
      let entries: import('node:fs').Dirent[]
      try {
        entries = await readdir(dir, { withFileTypes: true })
      } catch {
        return
      }
      for (const e of entries) {
        const path = join(dir, e.name)
        if (mountsUnder(path).includes(path)) continue
        if (e.isDirectory() && depth < 3 && e.name !== 'zdb' && e.name !== 'data' && e.name !== 'index')
          await walk(path, depth + 1)
        else if (e.isFile() && e.name.endsWith('.log')) files.push(path)
      }
    }
    await walk(this.root, 0)
    for (const file of files.sort()) {
      let text = ''
      try {
        text = readFileSync(file, 'utf8')
      } catch {
        continue
      }
      console.log(`----- ${file} (last 60 lines) -----\n${text.split('\n').slice(-60).join('\n')}`)
    }
  }

  /** Undoes everything; throws (after doing all it can) if something could not be undone. */
  async cleanup(): Promise<void> {
    const problems: string[] = []
    const step = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn()
      } catch (error) {
        problems.push(`${what}: ${(error as Error).message}`)
      }
    }
    for (const w of this.writers) await step('kill writer', () => w.proc.kill())
    for (const node of this.nodes) await step(`stop node ${node.dir}`, () => node.stop(20_000))
    await step('unmount', () => unmountAll(this.root))
    for (const b of this.backends) await step(`kill backend ${b.address}`, () => b.kill())
    for (const u of this.#undo.splice(0).reverse()) await step(u.what, u.fn)
    const left = mountsUnder(this.root)
    if (left.length > 0) problems.push(`still mounted, ${this.root} kept: ${left.join(', ')}`)
    else await step(`rm -rf ${this.root}`, () => rm(this.root, { recursive: true, force: true }))
    if (problems.length > 0) throw new Error(`cleanup of ${this.name}:\n${problems.join('\n')}`)
  }
}

/** Lazily unmounts every mount at or below `root` (deepest first). */
export async function unmountAll(root: string): Promise<void> {
  for (const point of mountsUnder(root)) await unmount(point)
}

export async function unmount(point: string): Promise<void> {
  if (!mountsUnder(point).includes(point)) return
  const r = await run('umount', ['-l', point], { timeout: 30_000 })
  if (r.code !== 0) {
    const f = await run('fusermount', ['-u', '-z', point], { timeout: 30_000 })
    if (f.code !== 0) throw new Error(`cannot unmount ${point}: ${r.stderr.trim()} / ${f.stderr.trim()}`)
  }
}

/**
 * The hooks every scenario file uses: a fresh {@link Lab} before its tests, the logs printed
 * when a test fails, and cleanup after them, whether they passed or not.
 */
export function useLab(name: string): () => Lab {
  let lab: Lab | undefined
  beforeAll(() => {
    assertBuilt()
    lab = new Lab(name)
  })
  afterEach(async (ctx) => {
    if (ctx.task.result?.state === 'fail') await lab?.dumpLogs()
  })
  afterAll(async () => {
    await lab?.cleanup()
  }, 180_000)
  return () => {
    if (!lab) throw new Error('the lab is not set up (did beforeAll fail?)')
    return lab
  }
}
