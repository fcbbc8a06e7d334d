import { randomBytes } from 'node:crypto'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeCommand, ReplyError, RequestParser, type RespValue, RespWriter } from '../src/index.js'
import { parseReplies, parseRequests, splitAt } from './helpers.js'

const bytes = fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a))
const command = fc.array(bytes, { minLength: 1, maxLength: 12 })
const cuts = fc.array(fc.nat(), { maxLength: 40 })

/** A reply and how to write it: strings as simple strings, so they decode back to strings. */
type Tree = { value: RespValue; write: (w: RespWriter) => void }
const line = fc.string({ maxLength: 40 }).filter((s) => !/[\r\n]/.test(s))
const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small' },
    line.map((s) => ({ value: s, write: (w: RespWriter) => w.simple(s) })),
    line.map((s) => ({ value: new ReplyError(s), write: (w: RespWriter) => w.error(s) })),
    fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map((n) => ({
      value: Number.isSafeInteger(Number(n)) ? Number(n) : n,
      write: (w: RespWriter) => w.integer(n),
    })),
    bytes.map((b) => ({ value: b, write: (w: RespWriter) => w.bulk(b) })),
    fc.constant({ value: null, write: (w: RespWriter) => w.nil() }),
    fc.array(tie('tree'), { maxLength: 5 }).map((items) => ({
      value: items.map((i) => i.value),
      write: (w: RespWriter) => {
        w.array(items.length)
        for (const i of items) i.write(w)
      },
    })),
  ),
}))

/** Commands with values up to 40 KiB, so that split ones outgrow the first 16 KiB gathered. */
const bigCommands = fc.array(
  fc.array(
    fc.oneof(
      { weight: 3, arbitrary: bytes },
      { weight: 1, arbitrary: fc.integer({ min: 0, max: 40_000 }).map((n) => randomBytes(n)) },
    ),
    { minLength: 1, maxLength: 4 },
  ),
  { minLength: 1, maxLength: 8 },
)

/** A `borrowedChunks` parser, and the requests it passed, copied while they were valid. */
function borrowingParser(): { parser: RequestParser; seen: Buffer[][] } {
  const seen: Buffer[][] = []
  const parser = new RequestParser({
    borrowedChunks: true,
    onRequest: (args) => seen.push(args.map((a) => Buffer.from(a))),
    onError: (err) => expect.fail(err.message),
  })
  return { parser, seen }
}

/** Buffer.equals, not toEqual, which walks 40 KiB buffers byte by byte through its generic diff. */
function expectSameRequests(seen: Buffer[][], commands: Buffer[][]): void {
  expect(seen.map((args) => args.length)).toEqual(commands.map((c) => c.length))
  seen.forEach((args, i) => {
    for (const [j, arg] of args.entries()) expect(arg.equals(commands[i]![j]!)).toBe(true)
  })
}

describe('encode → split anywhere → parse is the identity', () => {
  it('for pipelined requests', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 1, maxLength: 20 }), cuts, (commands, at) => {
        const stream = Buffer.concat(commands.map((c) => encodeCommand(c)))
        const { events } = parseRequests(splitAt(stream, at))
        expect(events).toEqual(commands.map((c) => ({ request: c.map((b) => b.toString('latin1')) })))
      }),
      { numRuns: 300 },
    )
  })

  it('for pipelined requests read into one reused buffer (borrowedChunks)', () => {
    fc.assert(
      fc.property(bigCommands, cuts, (commands, at) => {
        const stream = Buffer.concat(commands.map((c) => encodeCommand(c)))
        const { parser, seen } = borrowingParser()
        const memory = Buffer.alloc(stream.length)
        for (const chunk of splitAt(stream, at)) {
          chunk.copy(memory)
          parser.feed(memory.subarray(0, chunk.length))
          // Whatever the parser kept a view of now reads as garbage.
          memory.fill(0xee, 0, chunk.length)
        }
        expectSameRequests(seen, commands)
      }),
      { numRuns: 150 },
    )
  })

  it("for requests read into the parser's own buffer whenever it offers one (readTarget)", () => {
    fc.assert(
      fc.property(bigCommands, cuts, fc.integer({ min: 1, max: 5000 }), (commands, at, min) => {
        const stream = Buffer.concat(commands.map((c) => encodeCommand(c)))
        const { parser, seen } = borrowingParser()
        // A socket's reads: each stops at the next cut, or when the memory read into is full.
        const stops = [...new Set(at.filter((c) => c > 0 && c < stream.length))].sort((x, y) => x - y)
        const memory = Buffer.alloc(4096)
        let direct = 0
        for (let pos = 0; pos < stream.length; ) {
          const stop = stops.find((c) => c > pos) ?? stream.length
          const target = parser.readTarget(min)
          const into = target ?? memory
          const n = Math.min(into.length, stop - pos)
          stream.copy(into, 0, pos, pos + n)
          parser.feed(into.subarray(0, n))
          if (target === null) memory.fill(0xee)
          else direct += n
          pos += n
        }
        expectSameRequests(seen, commands)
        // Values longer than the memory read into must have come in at least partly in place.
        if (commands.some((c) => c.some((v) => v.length > memory.length + min)))
          expect(direct).toBeGreaterThan(0)
      }),
      { numRuns: 150 },
    )
  })

  it('for replies of every type, nested', () => {
    fc.assert(
      fc.property(fc.array(tree, { minLength: 1, maxLength: 10 }), cuts, (trees, at) => {
        const w = new RespWriter({ chunkSize: 128, copyThreshold: 100 })
        for (const t of trees) t.write(w)
        const { replies, errors } = parseReplies(splitAt(Buffer.concat(w.flush()), at))
        expect(errors).toEqual([])
        expect(replies).toEqual(trees.map((t) => t.value))
      }),
      { numRuns: 300 },
    )
  })
})
