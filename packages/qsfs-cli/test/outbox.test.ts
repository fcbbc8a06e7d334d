/**
 * The node's durable upload queue: journaled jobs, retries with backoff, one job at a time per
 * lane in order, replacement, drop, cleanup, and no acknowledged job lost to `kill -9`.
 */
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import fc from 'fast-check'
import { afterAll, describe, expect, it } from 'vitest'
import { type Job, Outbox, type OutboxOptions, type Upload } from '../src/node/outbox.js'
import { removeTempDirs, sleep, tempDir, waitFor } from './helpers/env.js'

afterAll(removeTempDirs)

type NewJob = Parameters<Outbox['add']>[0]

function job(id: string, lane: string, files: string[] = [`/f/${id}`], extra: Partial<NewJob> = {}): NewJob {
  return {
    id,
    lane,
    fileId: 0,
    uploads: files.map((file) => ({ file, keyDir: '/f' })),
    cleanup: [],
    capturedAt: Date.now(),
    ...extra,
  }
}

/**
 * Where the uploads go: it records every call, fails while `failing`, and holds the upload of
 * a file in `held` until {@link release}.
 */
class Sink {
  readonly calls: { file: string; at: number }[] = []
  readonly done: string[] = []
  failing = false
  readonly held = new Set<string>()
  readonly #waiting = new Map<string, () => void>()

  readonly upload = async (upload: Upload): Promise<void> => {
    this.calls.push({ file: upload.file, at: Date.now() })
    if (this.held.has(upload.file)) await new Promise<void>((r) => this.#waiting.set(upload.file, r))
    if (this.failing) throw new Error('daemon down')
    this.done.push(upload.file)
  }

  isHeld(file: string): boolean {
    return this.#waiting.has(file)
  }

  release(file: string): void {
    this.held.delete(file)
    this.#waiting.get(file)?.()
    this.#waiting.delete(file)
  }
}

function outbox(dir: string, sink: Sink, options: Partial<OutboxOptions> = {}): Outbox {
  return new Outbox({ dir, upload: sink.upload, ...options })
}

const journal = (dir: string) => readdirSync(dir).filter((n) => n.endsWith('.job'))

describe('Outbox', () => {
  it('journals each job before add() returns; a new Outbox on the directory runs them all', async () => {
    const dir = tempDir()
    const down = new Sink()
    down.failing = true
    const first = outbox(dir, down, { baseDelay: 60_000 })
    first.start()
    first.add(job('a1', 'a'))
    first.add(job('a2', 'a'))
    first.add(job('b1', 'b', ['/f/b1-data', '/f/b1-index']))
    expect(journal(dir)).toHaveLength(3)
    const stored = journal(dir).map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as Job)
    expect(stored.map((j) => j.id).sort()).toEqual(['a1', 'a2', 'b1'])
    expect(stored.find((j) => j.id === 'b1')!.uploads.map((u) => u.file)).toEqual([
      '/f/b1-data',
      '/f/b1-index',
    ])
    await first.stop()

    // A job file that does not parse is set aside, not fatal.
    writeFileSync(join(dir, 'torn.job'), '{"id":')
    const up = new Sink()
    const second = outbox(dir, up)
    expect(second.start()).toBe(3)
    expect(existsSync(join(dir, 'torn.job.bad'))).toBe(true)
    // A job added after the restart comes after the journaled ones of its lane.
    second.add(job('a3', 'a'))
    await second.drained()
    const order = (lane: string) => up.done.filter((f) => f.startsWith(`/f/${lane}`))
    expect(order('a')).toEqual(['/f/a1', '/f/a2', '/f/a3'])
    expect(order('b')).toEqual(['/f/b1-data', '/f/b1-index'])
    expect(journal(dir)).toEqual([])
    await second.stop()
  })

  it('retries a failing job with growing, jittered delays of at least baseDelay/2', async () => {
    const dir = tempDir()
    const sink = new Sink()
    sink.failing = true
    const lines: string[] = []
    const box = outbox(dir, sink, { baseDelay: 40, maxDelay: 1_000, log: (l) => lines.push(l) })
    box.start()
    box.add(job('x', 'a'))
    await waitFor(() => (box.get('x')?.attempts ?? 0) >= 1, 'first failure')
    const failed = box.get('x')!
    expect(failed.lastError).toBe('daemon down')
    expect(box.stats()).toMatchObject({ depth: 1, failing: 1, lastError: 'daemon down', lastSuccess: null })
    expect(lines[0]).toMatch(/^upload x failed \(attempt 1\), retrying in \d+ s: daemon down$/)
    expect(journal(dir)).toHaveLength(1)
    await waitFor(() => sink.calls.length >= 4, 'three retries', 5_000)
    sink.failing = false
    await box.drained()
    const gaps = sink.calls.slice(1).map((c, i) => c.at - sink.calls[i]!.at)
    for (const [i, gap] of gaps.entries()) {
      expect(gap).toBeGreaterThanOrEqual(20 - 2)
      // base/2 + up to base * 2^(attempt-1), plus timer slack.
      if (i < 3) expect(gap).toBeLessThan(20 + 40 * 2 ** i + 200)
    }
    expect(box.stats()).toMatchObject({ depth: 0, failing: 0 })
    expect(box.stats().lastSuccess).not.toBeNull()
    expect(journal(dir)).toEqual([])
    await box.stop()
  })

  it('kick() retries a job waiting out its backoff at once', async () => {
    const dir = tempDir()
    const sink = new Sink()
    sink.failing = true
    const box = outbox(dir, sink, { baseDelay: 60_000 })
    box.start()
    box.add(job('x', 'a'))
    await waitFor(() => box.get('x')?.attempts === 1, 'the failure')
    sink.failing = false
    await sleep(150)
    expect(sink.calls).toHaveLength(1)
    const started = Date.now()
    box.kick()
    await box.drained()
    expect(Date.now() - started).toBeLessThan(1_000)
    expect(sink.done).toEqual(['/f/x'])
    await box.stop()
  })

  it('a failing job holds back the later jobs of its lane, not the other lanes', async () => {
    const dir = tempDir()
    const sink = new Sink()
    const box = outbox(dir, sink, { baseDelay: 60_000 })
    box.start()
    sink.held.add('/f/a1')
    box.add(job('a1', 'a'))
    box.add(job('a2', 'a'))
    box.add(job('b1', 'b'))
    await waitFor(() => sink.done.includes('/f/b1'), 'lane b')
    sink.failing = true
    sink.release('/f/a1')
    await waitFor(() => box.get('a1')?.attempts === 1, 'a1 to fail')
    sink.failing = false
    box.add(job('b2', 'b'))
    await waitFor(() => sink.done.includes('/f/b2'), 'lane b again')
    expect(sink.calls.map((c) => c.file)).not.toContain('/f/a2')
    box.kick()
    await box.drained()
    expect(sink.done.filter((f) => f.startsWith('/f/a'))).toEqual(['/f/a1', '/f/a2'])
    await box.stop()
  })

  it('runs the jobs of one lane one at a time in order, lanes in parallel up to the concurrency', async () => {
    type Plan = { lane: number; uploads: number; delay: number }[]
    const plan = fc.array(
      fc.record({
        lane: fc.integer({ min: 0, max: 3 }),
        uploads: fc.integer({ min: 1, max: 3 }),
        delay: fc.integer({ min: 0, max: 4 }),
      }),
      { minLength: 1, maxLength: 25 },
    )
    await fc.assert(
      fc.asyncProperty(plan, fc.integer({ min: 1, max: 4 }), async (jobs: Plan, concurrency) => {
        const dir = tempDir()
        const active = new Map<string, number>()
        let total = 0
        let maxTotal = 0
        let overlapInLane = false
        const uploaded: string[] = []
        const box = new Outbox({
          dir,
          concurrency,
          upload: async ({ file }) => {
            const [lane, n, part] = file.split('/') as [string, string, string]
            const key = `${lane}/${n}`
            if (part === '0') {
              const others = [...active.keys()].filter((k) => k.startsWith(`${lane}/`) && k !== key)
              if (others.length > 0) overlapInLane = true
              active.set(key, 1)
              total++
              maxTotal = Math.max(maxTotal, total)
            }
            await sleep(jobs[Number(n)]!.delay)
            uploaded.push(file)
            if (Number(part) === jobs[Number(n)]!.uploads - 1) {
              active.delete(key)
              total--
            }
          },
        })
        box.start()
        for (const [n, j] of jobs.entries()) {
          const files = Array.from({ length: j.uploads }, (_, p) => `L${j.lane}/${n}/${p}`)
          box.add(job(`j${n}`, `L${j.lane}`, files))
        }
        await box.drained()
        await box.stop()
        expect(overlapInLane).toBe(false)
        expect(maxTotal).toBeLessThanOrEqual(concurrency)
        for (let lane = 0; lane < 4; lane++) {
          const expected = jobs.flatMap((j, n) =>
            j.lane === lane ? Array.from({ length: j.uploads }, (_, p) => `L${lane}/${n}/${p}`) : [],
          )
          expect(uploaded.filter((f) => f.startsWith(`L${lane}/`))).toEqual(expected)
        }
        expect(journal(dir)).toEqual([])
      }),
      { numRuns: 25 },
    )
  })

  it('different lanes really run at the same time', async () => {
    const dir = tempDir()
    const sink = new Sink()
    const box = outbox(dir, sink, { concurrency: 2 })
    box.start()
    sink.held.add('/f/a1')
    box.add(job('a1', 'a'))
    box.add(job('b1', 'b'))
    box.add(job('c1', 'c'))
    await waitFor(() => sink.isHeld('/f/a1') && sink.done.includes('/f/b1'), 'b1 beside the held a1')
    await waitFor(() => sink.done.includes('/f/c1'), 'c1')
    expect(box.stats().running).toBe(1)
    sink.release('/f/a1')
    await box.drained()
    await box.stop()
  })

  it('a job added with the id of a waiting one replaces it: only the newer runs', async () => {
    const dir = tempDir()
    const staging = tempDir()
    const snap1 = join(staging, 'snap1')
    const snap2 = join(staging, 'snap2')
    const shared = join(staging, 'shared')
    for (const f of [snap1, snap2, shared]) writeFileSync(f, 'x')
    const sink = new Sink()
    const box = outbox(dir, sink)
    box.start()
    sink.held.add('/f/closed')
    box.add(job('closed', 'a', ['/f/closed']))
    box.add(job('snap:a', 'a', [snap1], { cleanup: [snap1, shared], state: 'one' }))
    const firstSeq = box.get('snap:a')!.seq
    box.add(job('snap:a', 'a', [snap2], { cleanup: [snap2, shared], state: 'two' }))
    expect(box.jobs().map((j) => j.id)).toEqual(['closed', 'snap:a'])
    expect(box.get('snap:a')!.seq).toBeGreaterThan(firstSeq)
    // The replaced job's own staging copy is deleted at once, a file both use is kept.
    expect(existsSync(snap1)).toBe(false)
    expect(existsSync(shared)).toBe(true)
    const journaled = journal(dir)
      .map((n) => JSON.parse(readFileSync(join(dir, n), 'utf8')) as Job)
      .find((j) => j.id === 'snap:a')!
    expect(journaled.state).toBe('two')
    sink.release('/f/closed')
    await box.drained()
    expect(sink.done).toEqual(['/f/closed', snap2])
    expect(existsSync(snap2)).toBe(false)
    expect(existsSync(shared)).toBe(false)
    await box.stop()
  })

  it('a job replaced while it runs finishes; the replacement stays journaled and runs after it', async () => {
    const dir = tempDir()
    const staging = tempDir()
    const old = join(staging, 'old')
    const next = join(staging, 'next')
    writeFileSync(old, 'x')
    writeFileSync(next, 'y')
    const sink = new Sink()
    const done: string[] = []
    const box = outbox(dir, sink, { onDone: (j) => done.push(`${j.id}=${j.state}`) })
    box.start()
    sink.held.add(old)
    box.add(job('snap:a', 'a', [old], { cleanup: [old], state: 'old' }))
    await waitFor(() => sink.isHeld(old), 'the old snapshot to run')
    sink.held.add(next)
    box.add(job('snap:a', 'a', [next], { cleanup: [next], state: 'next' }))
    expect(box.isRunning('snap:a')).toBe(true)
    // The running job's files are still being read: not deleted by the replacement.
    expect(existsSync(old)).toBe(true)
    sink.release(old)
    await waitFor(() => done.length === 1, 'the old snapshot to finish')
    expect(done).toEqual(['snap:a=old'])
    expect(existsSync(old)).toBe(false)
    // Its success must not unlink the journal entry, which is now the replacement's.
    expect(journal(dir)).toHaveLength(1)
    expect(box.get('snap:a')?.state).toBe('next')
    await waitFor(() => sink.isHeld(next), 'the replacement to run')
    sink.release(next)
    await box.drained()
    expect(done).toEqual(['snap:a=old', 'snap:a=next'])
    expect(existsSync(next)).toBe(false)
    expect(journal(dir)).toEqual([])
    await box.stop()
  })

  it('drop() removes waiting jobs that keep rejects, their journal and staging files, not running ones', async () => {
    const dir = tempDir()
    const staging = tempDir()
    const copy = join(staging, 'copy')
    writeFileSync(copy, 'x')
    const sink = new Sink()
    const box = outbox(dir, sink)
    box.start()
    sink.held.add('/f/run')
    box.add(job('run', 'a', ['/f/run']))
    await waitFor(() => sink.isHeld('/f/run'), 'the running job')
    box.add(job('snap:a', 'a', [copy], { cleanup: [copy], fileId: 3 }))
    box.add(job('keep', 'a', ['/f/keep']))
    expect(journal(dir)).toHaveLength(3)
    box.drop((j) => j.id === 'keep')
    expect(box.jobs().map((j) => j.id)).toEqual(['run', 'keep'])
    expect(box.has('snap:a')).toBe(false)
    expect(journal(dir)).toHaveLength(2)
    expect(existsSync(copy)).toBe(false)
    sink.release('/f/run')
    await box.drained()
    expect(sink.done).toEqual(['/f/run', '/f/keep'])
    await box.stop()
  })

  it('drained() resolves when drop() empties the queue', async () => {
    const dir = tempDir()
    const sink = new Sink()
    sink.failing = true
    const box = outbox(dir, sink, { baseDelay: 60_000 })
    box.start()
    box.add(job('x', 'a'))
    await waitFor(() => box.get('x')?.attempts === 1, 'the failure')
    const drained = box.drained()
    box.drop(() => false)
    await drained
    expect(journal(dir)).toEqual([])
    await box.stop()
  })

  it('deletes cleanup files after success only; a failed job keeps them for its retry', async () => {
    const dir = tempDir()
    const staging = tempDir()
    const copyDir = join(staging, 'snap')
    mkdirSync(copyDir)
    writeFileSync(join(copyDir, 'd0'), 'data')
    const sink = new Sink()
    sink.failing = true
    const box = outbox(dir, sink, { baseDelay: 60_000 })
    box.start()
    box.add(job('snap:a', 'a', [join(copyDir, 'd0')], { cleanup: [copyDir] }))
    await waitFor(() => box.get('snap:a')?.attempts === 1, 'the failure')
    expect(existsSync(join(copyDir, 'd0'))).toBe(true)
    sink.failing = false
    box.kick()
    await box.drained()
    expect(existsSync(copyDir)).toBe(false)
    await box.stop()
  })

  it('stop() waits for running jobs, starts nothing new and leaves the rest journaled', async () => {
    const dir = tempDir()
    const sink = new Sink()
    const box = outbox(dir, sink, { concurrency: 1 })
    box.start()
    sink.held.add('/f/a')
    box.add(job('a', 'a'))
    box.add(job('b', 'b'))
    await waitFor(() => sink.isHeld('/f/a'), 'a to run')
    const stopped = box.stop()
    setTimeout(() => sink.release('/f/a'), 50)
    await stopped
    expect(sink.done).toEqual(['/f/a'])
    await sleep(50)
    expect(sink.calls.map((c) => c.file)).toEqual(['/f/a'])
    expect(journal(dir)).toHaveLength(1)
  })

  it('kill -9 of a process adding jobs loses none that add() acknowledged', async () => {
    const dir = tempDir()
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'outbox-crash-child.ts'), dir],
      { cwd: join(import.meta.dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] },
    )
    let out = ''
    let errors = ''
    child.stdout.setEncoding('utf8').on('data', (s: string) => {
      out += s
    })
    child.stderr.setEncoding('utf8').on('data', (s: string) => {
      errors += s
    })
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_c, signal) => r(signal)))
    // Complete lines only: the chunk read last may end inside a line.
    const ackedLines = () =>
      out
        .split('\n')
        .slice(0, -1)
        .filter((l) => /^\S+ \d+$/.test(l)).length
    await waitFor(() => ackedLines() > 150 || child.exitCode !== null, 'acknowledged jobs', 20_000)
    child.kill('SIGKILL')
    expect(await exited).toBe('SIGKILL')
    expect(errors).toBe('')
    const acked = out
      .split('\n')
      .filter((l) => /^\S+ \d+$/.test(l))
      .map((l) => {
        const [id, n] = l.split(' ')
        return { id: id!, n: Number(n) }
      })
    expect(acked.length).toBeGreaterThan(150)
    const lastAck = new Map<string, number>()
    for (const { id, n } of acked) lastAck.set(id, n)

    const sink = new Sink()
    const box = outbox(dir, sink)
    const loaded = box.start()
    expect(loaded).toBeGreaterThanOrEqual(lastAck.size)
    expect(readdirSync(dir).filter((n) => n.endsWith('.bad'))).toEqual([])
    const expected: string[] = []
    for (const [id, n] of lastAck) {
      const j = box.get(id)
      expect(j, id).toBeDefined()
      // A replaced id holds its newest acknowledged version (or one added a moment later).
      expect(Number(j!.state)).toBeGreaterThanOrEqual(n)
      expect(j!.uploads[0]!.file).toBe(`/nowhere/${j!.state}`)
      expected.push(j!.uploads[0]!.file)
    }
    await box.drained()
    for (const file of expected) expect(sink.done).toContain(file)
    expect(journal(dir)).toEqual([])
    await box.stop()
  }, 30_000)
})
