/** The packed appends of a group commit (src/append-buffer.ts), written to a real file. */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { AppendBuffer } from '../src/append-buffer.js'

let dir: string
let fd: number
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'zdb-append-'))
  fd = openSync(join(dir, 'f'), 'w+')
})
afterEach(() => {
  closeSync(fd)
  rmSync(dir, { recursive: true, force: true })
})

const bytes = (n: number, seed: number): Buffer =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 7 + seed) & 0xff))

describe('AppendBuffer', () => {
  it('writes reserved, copied and referenced bytes in order, across chunks, at the given position', () => {
    const pending = new AppendBuffer()
    const parts: Buffer[] = []
    for (let i = 0; i < 400; i++) {
      const small = bytes(1 + (i % 300), i)
      const chunk = pending.reserve(small.length)
      small.copy(chunk, pending.pos)
      pending.advance(small.length)
      parts.push(small)
      // Every 50th a payload long enough to be referenced instead of copied.
      const value = bytes(i % 50 === 0 ? 20_000 : i % 40, i + 1)
      pending.append(value)
      parts.push(value)
    }
    const all = Buffer.concat(parts)
    expect(pending.length).toBe(all.length)
    pending.writeTo(fd, 5)
    expect(pending.length).toBe(0)
    expect(readFileSync(join(dir, 'f')).subarray(5)).toEqual(all)
  })

  it('patches held bytes wherever they are, also across a chunk boundary, and refuses past the end', () => {
    const pending = new AppendBuffer()
    const a = bytes(65_530, 1)
    pending.append(a.subarray(0, 10_000))
    pending.append(a.subarray(10_000, 65_530))
    pending.append(bytes(100, 2))
    pending.patch(65_528, Buffer.from([9, 9, 9, 9]))
    pending.patch(0, Buffer.from([8]))
    expect(() => pending.patch(65_629, Buffer.from([1, 2]))).toThrow(RangeError)
    pending.writeTo(fd, 0)
    const out = readFileSync(join(dir, 'f'))
    expect(out.length).toBe(65_630)
    expect([...out.subarray(65_527, 65_533)]).toEqual([a[65_527], 9, 9, 9, 9, out[65_532]])
    expect(out[0]).toBe(8)
  })

  it('clear drops what is held; the next bytes start afresh', () => {
    const pending = new AppendBuffer()
    pending.append(bytes(1000, 3))
    pending.clear()
    pending.append(Buffer.from('kept'))
    pending.writeTo(fd, 0)
    expect(readFileSync(join(dir, 'f'), 'latin1')).toBe('kept')
  })
})
