import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeCommand, ProtocolError, ReplyParser, RequestParser } from '../src/index.js'
import { splitAt } from './helpers.js'

const LIMIT = 64 * 1024
const garbage = fc.uint8Array({ maxLength: 2000 }).map((a) => Buffer.from(a))
/** Valid streams with a few bytes overwritten: close to real frames, so deep states are reached. */
const mutated = fc
  .tuple(
    fc.array(fc.array(fc.uint8Array({ maxLength: 50 }), { minLength: 1, maxLength: 5 }), {
      minLength: 1,
      maxLength: 8,
    }),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
  )
  .map(([commands, flips]) => {
    const stream = Buffer.concat(commands.map((c) => encodeCommand(c.map((a) => Buffer.from(a)))))
    for (const [at, byte] of flips) stream[at % stream.length] = byte
    return stream
  })
const input = fc.oneof(garbage, mutated)

describe('fuzz: arbitrary bytes', () => {
  it('never make the request parser throw, loop, or hold more than its limits', () => {
    fc.assert(
      fc.property(input, fc.array(fc.nat(), { maxLength: 20 }), (stream, at) => {
        let errors = 0
        const parser = new RequestParser({
          onRequest: (args) => expect(args.every(Buffer.isBuffer)).toBe(true),
          onError: (e) => {
            expect(e).toBeInstanceOf(ProtocolError)
            errors++
          },
          maxRequestBytes: LIMIT,
          maxBulkLength: LIMIT,
        })
        for (const chunk of splitAt(stream, at)) {
          parser.feed(chunk)
          expect(parser.bufferedBytes).toBeLessThanOrEqual(Math.min(stream.length, LIMIT))
        }
        // Each error consumes at least one byte, so errors cannot outnumber the input.
        expect(errors).toBeLessThanOrEqual(stream.length)
      }),
      { numRuns: 2000 },
    )
  })

  it('never make the reply parser throw, loop, or hold more than its limits', () => {
    fc.assert(
      fc.property(input, fc.array(fc.nat(), { maxLength: 20 }), (stream, at) => {
        let errors = 0
        const parser = new ReplyParser({
          onReply: () => {},
          onError: (e) => {
            expect(e).toBeInstanceOf(ProtocolError)
            errors++
          },
          maxBulkLength: LIMIT,
          maxLineLength: LIMIT,
        })
        for (const chunk of splitAt(stream, at)) parser.feed(chunk)
        expect(parser.bufferedBytes).toBeLessThanOrEqual(stream.length)
        expect(errors).toBeLessThanOrEqual(1)
      }),
      { numRuns: 2000 },
    )
  })
})
