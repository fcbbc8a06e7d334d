import { describe, expect, it } from 'vitest'
import { EncodeError, encodeCommand, encodeValue, ReplyError, RespWriter } from '../src/index.js'

const wire = (w: RespWriter) => w.flushOne().toString('latin1')

describe('RespWriter', () => {
  it('encodes every RESP2 reply type byte for byte', () => {
    const w = new RespWriter()
      .simple('OK')
      .error('Key not found')
      .integer(-42)
      .integer(2n ** 63n - 1n)
      .bulk('héllo')
      .bulk(Buffer.from([0, 13, 10]))
      .bulk('')
      .nil()
      .array(2)
      .integer(1)
      .nilArray()
      .array(0)
    expect(wire(w)).toBe(
      '+OK\r\n-Key not found\r\n:-42\r\n:9223372036854775807\r\n$6\r\nhéllo\r\n'.replace('é', '\xc3\xa9') +
        '$3\r\n\0\r\n\r\n$0\r\n\r\n$-1\r\n*2\r\n:1\r\n*-1\r\n*0\r\n',
    )
  })

  it('encodes a request as an array of bulk strings', () => {
    expect(encodeCommand(['SET', Buffer.from('k'), 12, 5n]).toString()).toBe(
      '*4\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n$1\r\n5\r\n',
    )
  })

  it('encodes decoded values recursively', () => {
    expect(encodeValue([Buffer.from('a'), [1, null], new ReplyError('bad')]).toString()).toBe(
      '*3\r\n$1\r\na\r\n*2\r\n:1\r\n$-1\r\n-bad\r\n',
    )
  })

  it('writes a thousand small replies into one buffer', () => {
    const w = new RespWriter()
    for (let i = 0; i < 1000; i++) w.bulk(`value-${i}`)
    const out = w.flush()
    expect(out).toHaveLength(1)
    expect(out[0]!.length).toBe(w.length + out[0]!.length)
  })

  it('references a large payload instead of copying it', () => {
    const payload = Buffer.alloc(64 * 1024, 1)
    const out = new RespWriter().simple('x').bulk(payload).simple('y').flush()
    expect(out).toHaveLength(3)
    expect(out[1]).toBe(payload)
    expect(Buffer.concat(out).toString('latin1')).toBe(`+x\r\n$65536\r\n${'\x01'.repeat(65536)}\r\n+y\r\n`)
  })

  it('never overwrites buffers it returned, across flushes and chunk boundaries', () => {
    const w = new RespWriter({ chunkSize: 64 })
    const flushed: Buffer[] = []
    let expected = ''
    for (let i = 0; i < 100; i++) {
      const v = 'v'.repeat(i)
      w.bulk(v)
      expected += `$${i}\r\n${v}\r\n`
      if (i % 7 === 0) flushed.push(...w.flush())
    }
    flushed.push(...w.flush())
    expect(Buffer.concat(flushed).toString()).toBe(expected)
  })

  it('refuses CR or LF in a simple string or error', () => {
    expect(() => new RespWriter().simple('a\r\nb')).toThrow(EncodeError)
    expect(() => new RespWriter().error('a\nb')).toThrow(EncodeError)
  })

  it('refuses integers RESP cannot carry', () => {
    expect(() => new RespWriter().integer(1.5)).toThrow(EncodeError)
    expect(() => new RespWriter().integer(2n ** 63n)).toThrow(EncodeError)
    expect(() => new RespWriter().array(-1)).toThrow(EncodeError)
    expect(() => encodeCommand([])).toThrow(EncodeError)
  })
  it('rolls back to a mark: what came after it is gone, what came before it is kept', () => {
    const w = new RespWriter()
    w.simple('before')
    const mark = w.mark()
    w.array(2).bulk('a').integer(1)
    expect(w.length).toBeGreaterThan(9)
    w.rollback(mark)
    expect(w.length).toBe(9)
    w.simple('after')
    expect(wire(w)).toBe('+before\r\n+after\r\n')
  })

  it('rolls back across chunk boundaries and referenced payloads', () => {
    for (let size = 0; size < 200; size += 7) {
      const w = new RespWriter({ chunkSize: 64, copyThreshold: 32 })
      const flushed: Buffer[] = []
      w.bulk('x'.repeat(size % 50))
      flushed.push(...w.flush())
      w.simple('kept')
      const mark = w.mark()
      w.bulk('y'.repeat(size)).bulk(Buffer.alloc(size, 0x7a)).simple('dropped')
      w.rollback(mark)
      w.bulk('z'.repeat(size % 40))
      flushed.push(...w.flush())
      const z = 'z'.repeat(size % 40)
      const x = 'x'.repeat(size % 50)
      expect(Buffer.concat(flushed).toString()).toBe(
        `$${x.length}\r\n${x}\r\n+kept\r\n$${z.length}\r\n${z}\r\n`,
      )
    }
  })

  it('rolling back to the same mark twice gives the same output', () => {
    const w = new RespWriter({ chunkSize: 64 })
    w.simple('a')
    const mark = w.mark()
    w.bulk('b'.repeat(100))
    w.rollback(mark)
    w.bulk('c'.repeat(100))
    w.rollback(mark)
    expect(wire(w)).toBe('+a\r\n')
  })

  it('refuses a rollback to a mark taken before a flush', () => {
    const w = new RespWriter()
    const mark = w.mark()
    w.simple('sent')
    w.flush()
    expect(() => w.rollback(mark)).toThrow(RangeError)
  })

  it('recycle() after a flush writes the next replies into the same memory from its start', () => {
    const w = new RespWriter()
    const [first] = w.simple('one').flush()
    w.recycle()
    const [second] = w.simple('two').flush()
    expect(second!.buffer).toBe(first!.buffer)
    expect(second!.byteOffset).toBe(first!.byteOffset)
    expect(second!.toString()).toBe('+two\r\n')
    // Without recycle() the writer moves on and the first flush's bytes stay as they were.
    const [third] = w.simple('six').flush()
    expect(third!.byteOffset).toBe(second!.byteOffset + second!.length)
    expect(second!.toString()).toBe('+two\r\n')
  })

  it('refuses recycle() with something written since the flush', () => {
    const w = new RespWriter()
    w.simple('a').flush()
    w.simple('pending')
    expect(() => w.recycle()).toThrow(RangeError)
  })

  it('writes a reserved bulk string as bulk() would, with the payload filled in place', () => {
    const w = new RespWriter({ chunkSize: 64 })
    let expected = ''
    for (let i = 0; i < 40; i++) {
      const v = 'r'.repeat(i)
      const at = w.reserveBulk(i)
      w.reserved.write(v, at, 'latin1')
      w.simple('n')
      expected += `$${i}\r\n${v}\r\n+n\r\n`
    }
    expect(wire(w)).toBe(expected)
  })

  it('takes a reserved bulk string back, keeping what came before it', () => {
    const w = new RespWriter({ chunkSize: 64 })
    w.simple('a')
    w.reserveBulk(50)
    w.unreserve()
    w.simple('b')
    expect(wire(w)).toBe('+a\r\n+b\r\n')
  })

  it('refuses to take back a reservation once something else was written', () => {
    const w = new RespWriter()
    expect(() => w.unreserve()).toThrow(RangeError)
    w.reserveBulk(3)
    w.simple('x')
    expect(() => w.unreserve()).toThrow(RangeError)
  })

  it('refuses to reserve a payload it would reference instead of copy', () => {
    expect(() => new RespWriter({ copyThreshold: 100 }).reserveBulk(100)).toThrow(RangeError)
    expect(() => new RespWriter().reserveBulk(-1)).toThrow(RangeError)
  })
})
