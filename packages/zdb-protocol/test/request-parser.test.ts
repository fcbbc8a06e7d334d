import { describe, expect, it } from 'vitest'
import { encodeCommand, RequestParser, ZDB_MAX_ARGS, ZDB_MAX_BULK_LENGTH } from '../src/index.js'
import { errorsOf, FEEDS, parseRequests, requestsOf } from './helpers.js'

const cmd = (...args: (string | Buffer)[]) => encodeCommand(args)

for (const [how, feed] of Object.entries(FEEDS)) {
  describe(`RequestParser fed ${how}`, () => {
    it('parses a request into its arguments', () => {
      const { events } = parseRequests(feed(cmd('SET', 'key', 'value')))
      expect(events).toEqual([{ request: ['SET', 'key', 'value'] }])
    })

    it('keeps CR, LF and NUL bytes inside a payload', () => {
      const payload = Buffer.from('a\r\nb\0\r\n*3\r\n$')
      const { events } = parseRequests(feed(cmd('SET', 'k', payload)))
      expect(events).toEqual([{ request: ['SET', 'k', payload.toString('latin1')] }])
    })

    it('accepts empty bulk strings', () => {
      const { events } = parseRequests(feed(Buffer.from('*3\r\n$3\r\nSET\r\n$0\r\n\r\n$0\r\n\r\n')))
      expect(events).toEqual([{ request: ['SET', '', ''] }])
    })

    it('yields pipelined requests in order', () => {
      const stream = Buffer.concat(Array.from({ length: 50 }, (_, i) => cmd('GET', `k${i}`)))
      const { events } = parseRequests(feed(stream))
      expect(requestsOf(events)).toEqual(Array.from({ length: 50 }, (_, i) => ['GET', `k${i}`]))
    })

    it('rejects an inline request with the zdb reply and closes', () => {
      const { events, parser } = parseRequests(feed(Buffer.from('PING\r\n')))
      expect(errorsOf(events)).toEqual([['ERR_INLINE_REQUEST', 'Malformed request, array expected', true]])
      expect(parser.closed).toBe(true)
    })

    it('answers *0 with Missing arguments and parses the next request', () => {
      const { events } = parseRequests(feed(Buffer.concat([Buffer.from('*0\r\n'), cmd('PING')])))
      expect(events).toEqual([
        {
          error: expect.objectContaining({
            code: 'ERR_MISSING_ARGUMENTS',
            reply: 'Missing arguments',
            close: false,
          }),
        },
        { request: ['PING'] },
      ])
    })

    it('accepts exactly 1024 elements', () => {
      const args = ['MGET', ...Array.from({ length: ZDB_MAX_ARGS - 1 }, (_, i) => `k${i}`)]
      const { events } = parseRequests(feed(cmd(...args)))
      expect(requestsOf(events)).toEqual([args])
    })

    it('answers 1025 elements with Too many arguments, skips them, and parses the next request', () => {
      const args = ['MGET', ...Array.from({ length: ZDB_MAX_ARGS }, (_, i) => `k${i}`)]
      const { events, parser } = parseRequests(feed(Buffer.concat([cmd(...args), cmd('PING')])))
      expect(errorsOf(events)).toEqual([['ERR_TOO_MANY_ARGUMENTS', 'Too many arguments', false]])
      expect(requestsOf(events)).toEqual([['PING']])
      expect(parser.closed).toBe(false)
    })

    it('rejects an element that is not a bulk string with Malformed query string and closes', () => {
      const { events } = parseRequests(feed(Buffer.from('*2\r\n$3\r\nGET\r\n:5\r\n')))
      expect(errorsOf(events)).toEqual([['ERR_MALFORMED_QUERY', 'Malformed query string', true]])
    })

    it('rejects a nested array with Malformed query string', () => {
      const { events } = parseRequests(feed(Buffer.from('*2\r\n*1\r\n$1\r\na\r\n')))
      expect(errorsOf(events)).toEqual([['ERR_MALFORMED_QUERY', 'Malformed query string', true]])
    })

    it('rejects a payload not followed by CRLF', () => {
      const { events } = parseRequests(feed(Buffer.from('*1\r\n$4\r\nPINGxx')))
      expect(errorsOf(events)).toEqual([['ERR_MALFORMED_QUERY', 'Malformed query string', true]])
    })

    it('rejects garbage, signs and missing digits in length headers', () => {
      for (const bad of [
        '*x\r\n',
        '*\r\n',
        '*-1\r\n',
        '*1\r\n$-1\r\n',
        '*1\r\n$--1\r\n',
        '*1\r\n$1a\r\n',
        '*1\n',
      ]) {
        const { events } = parseRequests(feed(Buffer.from(bad)))
        expect(errorsOf(events), bad).toEqual([['ERR_MALFORMED_QUERY', 'Malformed query string', true]])
      }
    })

    it('ignores all input after a fatal error until reset', () => {
      const events: unknown[] = []
      const parser = new RequestParser({
        onRequest: (a) => events.push(a),
        onError: (e) => events.push(e.code),
      })
      for (const chunk of feed(Buffer.concat([Buffer.from('bad\r\n'), cmd('PING')]))) parser.feed(chunk)
      expect(events).toEqual(['ERR_INLINE_REQUEST'])
      parser.reset()
      for (const chunk of feed(cmd('PING'))) parser.feed(chunk)
      expect(events).toEqual(['ERR_INLINE_REQUEST', [Buffer.from('PING')]])
    })
  })
}

describe('RequestParser size caps', () => {
  it('accepts a bulk string of exactly 8 MiB', () => {
    const value = Buffer.alloc(ZDB_MAX_BULK_LENGTH, 7)
    const { events } = parseRequests([cmd('SET', 'k', value)])
    expect(requestsOf(events)[0]?.[2]?.length).toBe(ZDB_MAX_BULK_LENGTH)
  })

  it('refuses 8 MiB + 1 with Payload too big as soon as the header arrives, holding nothing', () => {
    const { events, parser } = parseRequests([
      Buffer.from(`*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$${ZDB_MAX_BULK_LENGTH + 1}\r\n`),
    ])
    expect(errorsOf(events)).toEqual([['ERR_PAYLOAD_TOO_BIG', 'Payload too big', true]])
    expect(parser.bufferedBytes).toBe(0)
  })

  it('refuses a length header with more digits than any limit allows', () => {
    const bulk = parseRequests([Buffer.from('*1\r\n$1234567890123456')]).events
    expect(errorsOf(bulk)).toEqual([['ERR_PAYLOAD_TOO_BIG', 'Payload too big', true]])
    const array = parseRequests([Buffer.from('*1234567890123456')]).events
    expect(errorsOf(array)).toEqual([['ERR_TOO_MANY_ARGUMENTS', 'Too many arguments', true]])
  })

  it('refuses a request whose payloads add up to more than maxRequestBytes', () => {
    const { events } = parseRequests([cmd('SET', 'a'.repeat(60), 'b'.repeat(60))], { maxRequestBytes: 100 })
    expect(errorsOf(events)).toEqual([['ERR_PAYLOAD_TOO_BIG', 'Payload too big', true]])
  })

  it('honours custom maxArgs and maxBulkLength', () => {
    const { events } = parseRequests([Buffer.concat([cmd('A', 'B', 'C'), cmd('ABCDEF'), cmd('OK')])], {
      maxArgs: 2,
      maxBulkLength: 5,
    })
    expect(errorsOf(events)).toEqual([
      ['ERR_TOO_MANY_ARGUMENTS', 'Too many arguments', false],
      ['ERR_PAYLOAD_TOO_BIG', 'Payload too big', true],
    ])
  })

  it('rejects limits that are not positive integers', () => {
    const noop = () => {}
    expect(() => new RequestParser({ onRequest: noop, onError: noop, maxArgs: 0 })).toThrow(/maxArgs must be/)
    expect(() => new RequestParser({ onRequest: noop, onError: noop, maxBulkLength: 1.5 })).toThrow(
      /maxBulkLength must be/,
    )
  })
})

describe('RequestParser memory', () => {
  it('returns a payload that lies in one chunk as a view of that chunk, not a copy', () => {
    const chunk = cmd('SET', 'key', 'x'.repeat(1000))
    let value: Buffer | undefined
    new RequestParser({ onRequest: (a) => (value = a[2]), onError: () => {} }).feed(chunk)
    expect(value?.buffer).toBe(chunk.buffer)
    expect(value?.byteOffset).toBe(chunk.byteOffset + chunk.indexOf('xxx'))
  })

  it('holds a payload split over many chunks as slices and joins it once', () => {
    const value = Buffer.alloc(4 * 1024 * 1024)
    for (let i = 0; i < value.length; i++) value[i] = i % 251
    const stream = cmd('SET', 'k', value)
    const got: Buffer[] = []
    const parser = new RequestParser({ onRequest: (a) => got.push(a[2]!), onError: () => {} })
    const step = 1000
    let fed = 0
    const header = stream.indexOf(value.subarray(0, 16))
    for (let at = 0; at < stream.length; at += step) {
      parser.feed(stream.subarray(at, at + step))
      fed = Math.min(at + step, stream.length)
      // Held: 'SET' and 'k' (4 bytes) plus the payload fed so far, nothing more: no copies, no regrowth.
      if (fed > header && fed < header + value.length) expect(parser.bufferedBytes).toBe(4 + fed - header)
    }
    expect(got).toHaveLength(1)
    expect(got[0]!.equals(value)).toBe(true)
    expect(parser.bufferedBytes).toBe(0)
  })
  it('with borrowedChunks, an empty argument whose CRLF is split over the next chunks is empty', () => {
    // Found by the property test: such a bulk string gathers no byte at all.
    const got: string[][] = []
    const parser = new RequestParser({
      borrowedChunks: true,
      onRequest: (a) => got.push(a.map((b) => b.toString())),
      onError: (e) => expect.fail(e.message),
    })
    const stream = cmd('SET', 'k', '')
    parser.feed(stream.subarray(0, stream.length - 2))
    parser.feed(stream.subarray(stream.length - 2, stream.length - 1))
    parser.feed(stream.subarray(stream.length - 1))
    expect(got).toEqual([['SET', 'k', '']])
  })
})
