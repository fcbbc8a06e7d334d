import { describe, expect, it } from 'vitest'
import { ReplyError, ReplyParser } from '../src/index.js'
import { FEEDS, parseReplies } from './helpers.js'

for (const [how, feed] of Object.entries(FEEDS)) {
  describe(`ReplyParser fed ${how}`, () => {
    const parse = (wire: string) => parseReplies(feed(Buffer.from(wire, 'latin1')))

    it('decodes a simple string as a string', () => {
      expect(parse('+PONG\r\n').replies).toEqual(['PONG'])
    })

    it('decodes an error reply as a ReplyError value, not a failure', () => {
      const { replies, errors } = parse('-Key not found\r\n')
      expect(errors).toEqual([])
      expect(replies[0]).toBeInstanceOf(ReplyError)
      expect((replies[0] as ReplyError).message).toBe('Key not found')
    })

    it('decodes integers, negative ones and 64-bit ones beyond 2^53 as bigint', () => {
      expect(parse(':0\r\n:-1\r\n:9007199254740991\r\n:9223372036854775807\r\n').replies).toEqual([
        0,
        -1,
        Number.MAX_SAFE_INTEGER,
        9223372036854775807n,
      ])
    })

    it('decodes bulk strings, the empty one and the nil one', () => {
      expect(parse('$5\r\nhello\r\n$0\r\n\r\n$-1\r\n').replies).toEqual([
        Buffer.from('hello'),
        Buffer.alloc(0),
        null,
      ])
    })

    it('decodes nested arrays, the empty array and the nil array', () => {
      const wire = `*2\r\n$17\r\n${'c'.repeat(17)}\r\n*2\r\n*3\r\n$1\r\nk\r\n:5\r\n:1700\r\n*0\r\n*-1\r\n`
      expect(parse(wire).replies).toEqual([
        [Buffer.from('c'.repeat(17)), [[Buffer.from('k'), 5, 1700], []]],
        null,
      ])
    })

    it('rejects a byte that starts no RESP2 type, once, then ignores input', () => {
      const { replies, errors } = parse('+OK\r\n!oops\r\n+OK\r\n')
      expect(replies).toEqual(['OK'])
      expect(errors.map((e) => [e.code, e.close])).toEqual([['ERR_MALFORMED_REPLY', true]])
    })

    it('rejects an integer reply that is not a number', () => {
      expect(parse(':12a\r\n').errors.map((e) => e.code)).toEqual(['ERR_MALFORMED_REPLY'])
      expect(parse(':\r\n').errors.map((e) => e.code)).toEqual(['ERR_MALFORMED_REPLY'])
    })

    it('rejects a CR inside a line that is not followed by LF', () => {
      expect(parse('+O\rK\r\n').errors.map((e) => e.code)).toEqual(['ERR_MALFORMED_REPLY'])
    })
  })
}

describe('ReplyParser limits', () => {
  const collect = (options: Partial<ConstructorParameters<typeof ReplyParser>[0]>, wire: string) => {
    const errors: string[] = []
    const parser = new ReplyParser({ onReply: () => {}, onError: (e) => errors.push(e.message), ...options })
    parser.feed(Buffer.from(wire))
    return { errors, parser }
  }

  it('refuses arrays nested deeper than maxDepth', () => {
    expect(collect({ maxDepth: 3 }, '*1\r\n*1\r\n*1\r\n*1\r\n').errors).toEqual([
      'arrays nested deeper than 3',
    ])
  })

  it('refuses a line longer than maxLineLength without holding it', () => {
    const { errors, parser } = collect({ maxLineLength: 10 }, `+${'x'.repeat(11)}`)
    expect(errors).toEqual(['line longer than 10 bytes'])
    expect(parser.bufferedBytes).toBe(0)
  })

  it('refuses bulk strings and arrays over their limits before reading them', () => {
    expect(collect({ maxBulkLength: 4 }, '$5\r\n').errors).toEqual([
      'bulk string of 5 bytes exceeds the limit of 4 bytes',
    ])
    expect(collect({ maxArrayLength: 4 }, '*5\r\n').errors).toEqual(['array of 5 elements exceeds 4'])
  })
})
