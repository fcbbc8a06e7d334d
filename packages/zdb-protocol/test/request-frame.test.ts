import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { encodeCommand, type RequestFrame, RequestParser } from '../src/index.js'
import { FEEDS, splitAt } from './helpers.js'

function frames(chunks: readonly Buffer[], inspect: (f: RequestFrame) => void = () => {}): Buffer[][] {
  const out: Buffer[][] = []
  const parser = new RequestParser({
    onFrame: (f) => {
      inspect(f)
      out.push(f.args())
    },
    onError: (e) => {
      throw e
    },
  })
  for (const c of chunks) parser.feed(c)
  return out
}

describe('RequestFrame', () => {
  for (const [how, feed] of Object.entries(FEEDS)) {
    it(`exposes each argument by index, as a string, a byte and a length (fed ${how})`, () => {
      const seen: unknown[] = []
      frames(feed(encodeCommand(['set', 'clé', Buffer.from([0, 255])])), (f) => {
        seen.push(f.length, f.string(0), f.string(1, 'utf8'), f.byte(0, 0), f.argLength(2), f.arg(2))
      })
      expect(seen).toEqual([3, 'set', 'clé', 0x73, 2, Buffer.from([0, 255])])
    })
  }

  it('hands out argument buffers that stay valid after the frame is reused', () => {
    const kept: Buffer[] = []
    frames([Buffer.concat([encodeCommand(['SET', 'a', '1']), encodeCommand(['SET', 'b', '2'])])], (f) =>
      kept.push(f.arg(1)),
    )
    expect(kept.map(String)).toEqual(['a', 'b'])
  })

  it('refuses indexes outside the frame', () => {
    frames([encodeCommand(['PING'])], (f) => {
      expect(() => f.arg(1)).toThrow(RangeError)
      expect(() => f.string(-1)).toThrow(RangeError)
      expect(() => f.byte(0, 4)).toThrow(RangeError)
    })
  })

  it('grows past its initial capacity for requests of many arguments', () => {
    const args = Array.from({ length: 1000 }, (_, i) => `a${i}`)
    expect(frames([encodeCommand(args)])[0]?.map(String)).toEqual(args)
  })

  it('gives the same arguments as onRequest for any split of any pipeline', () => {
    const command = fc.array(
      fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
      { minLength: 1, maxLength: 20 },
    )
    fc.assert(
      fc.property(
        fc.array(command, { minLength: 1, maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        (cmds, at) => {
          const chunks = splitAt(Buffer.concat(cmds.map((c) => encodeCommand(c))), at)
          expect(frames(chunks)).toEqual(cmds)
        },
      ),
      { numRuns: 300 },
    )
  })

  it('is requested through exactly one of onFrame and onRequest', () => {
    const noop = () => {}
    expect(() => new RequestParser({ onError: noop })).toThrow(TypeError)
    expect(() => new RequestParser({ onError: noop, onFrame: noop, onRequest: noop })).toThrow(TypeError)
  })
})
