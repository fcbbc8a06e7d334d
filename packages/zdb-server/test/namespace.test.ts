/** The storage engine on real temp directories, checked byte for byte against spec §2. */
import { appendFileSync, existsSync, statSync, truncateSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { beforeEach, describe, expect, it } from 'vitest'
import { crc32c } from '../src/crc32c.js'
import type { ZdbLogger } from '../src/logger.js'
import type { Namespace } from '../src/namespace.js'
import { cat, specDataEntry, specDataHeader, specIndexEntry, specIndexHeader } from './helpers/bytes.js'
import { namespaceFixture } from './helpers/namespace-fixture.js'

const TS = 1_600_000_000
let warnings: string[] = []

const logger: ZdbLogger = {
  debug() {},
  info() {},
  warn: (m) => void warnings.push(m),
  error: (m) => void warnings.push(m),
}
const fx = namespaceFixture(TS, logger)
const openNs = fx.open
const file = fx.file
const read = fx.read
const value = (ns: Namespace, key: string): string | null => {
  const e = ns.get(Buffer.from(key))
  return e ? ns.read(e).toString() : null
}

beforeEach(() => {
  warnings = []
})

describe('writes are byte-identical to spec §2', () => {
  it('a fresh namespace holds i0 and d0 with only their headers, and a descriptor', () => {
    openNs()
    expect(read('i', 0)).toEqual(specIndexHeader(0))
    expect(read('d', 0)).toEqual(specDataHeader(0))
    expect(existsSync(join(fx.dirs.indexDir, 'default', 'zdb-namespace'))).toBe(true)
  })

  it('SET appends a data entry, then an index entry pointing at it', () => {
    const ns = openNs()
    expect(ns.set(Buffer.from('k'), Buffer.from('XYZ'))).toBe('written')
    const crc = 0xfb355d37
    expect(read('d', 0)).toEqual(
      cat(
        specDataHeader(0),
        specDataEntry({ key: 'k', payload: 'XYZ', previous: 0, crc, flags: 0, timestamp: TS }),
      ),
    )
    expect(read('i', 0)).toEqual(
      cat(
        specIndexHeader(0),
        specIndexEntry({
          key: 'k',
          offset: 28,
          length: 3,
          previous: 0,
          flags: 0,
          dataId: 0,
          timestamp: TS,
          crc,
          parentId: 0,
          parentOff: 0,
        }),
      ),
    )
  })

  it('an overwrite flags the old index entry deleted in place and links the new one to it', () => {
    const ns = openNs()
    ns.set(Buffer.from('k'), Buffer.from('XYZ'))
    ns.set(Buffer.from('k'), Buffer.from('ABCD'), TS + 5)
    const crcAbcd = crc32c('ABCD')
    expect(read('d', 0)).toEqual(
      cat(
        specDataHeader(0),
        specDataEntry({ key: 'k', payload: 'XYZ', previous: 0, crc: 0xfb355d37, flags: 0, timestamp: TS }),
        specDataEntry({ key: 'k', payload: 'ABCD', previous: 28, crc: crcAbcd, flags: 0, timestamp: TS + 5 }),
      ),
    )
    const first = {
      key: 'k',
      offset: 28,
      length: 3,
      dataId: 0,
      timestamp: TS,
      crc: 0xfb355d37,
      parentId: 0,
      parentOff: 0,
    }
    expect(read('i', 0)).toEqual(
      cat(
        specIndexHeader(0),
        specIndexEntry({ ...first, previous: 0, flags: 1 }),
        specIndexEntry({
          key: 'k',
          offset: 28 + 22,
          length: 4,
          previous: 29,
          flags: 0,
          dataId: 0,
          timestamp: TS + 5,
          crc: crcAbcd,
          parentId: 0,
          parentOff: 29,
        }),
      ),
    )
  })

  it('DEL appends an empty flagged data entry, flags the index entry, and appends no index entry', () => {
    const ns = openNs()
    ns.set(Buffer.from('k'), Buffer.from('XYZ'))
    const indexBefore = read('i', 0)
    expect(ns.del(Buffer.from('k'))).toBe(true)
    expect(ns.del(Buffer.from('k'))).toBe(false)
    expect(read('d', 0)).toEqual(
      cat(
        specDataHeader(0),
        specDataEntry({ key: 'k', payload: 'XYZ', previous: 0, crc: 0xfb355d37, flags: 0, timestamp: TS }),
        specDataEntry({ key: 'k', payload: '', previous: 28, crc: 0, flags: 1, timestamp: TS }),
      ),
    )
    const flagged = Buffer.from(indexBefore)
    flagged[29 + 13] = 1
    expect(read('i', 0)).toEqual(flagged)
    expect(ns.entries).toBe(0)
  })

  it('an unchanged SET writes nothing', () => {
    const ns = openNs()
    ns.set(Buffer.from('k'), Buffer.from('same'))
    const sizes = [statSync(file('i', 0)).size, statSync(file('d', 0)).size]
    expect(ns.set(Buffer.from('k'), Buffer.from('same'))).toBe('unchanged')
    expect([statSync(file('i', 0)).size, statSync(file('d', 0)).size]).toEqual(sizes)
  })
})

describe('startup replay', () => {
  it('reads files built byte by byte from the spec: live, overwritten and deleted keys', () => {
    openNs().close()
    const crcA = crc32c('1')
    const crcB = crc32c('22')
    writeFileSync(
      file('d', 0),
      cat(
        specDataHeader(0),
        specDataEntry({ key: 'a', payload: '1', previous: 0, crc: crcA, flags: 0, timestamp: 10 }),
        specDataEntry({ key: 'b', payload: '22', previous: 28, crc: crcB, flags: 0, timestamp: 11 }),
        specDataEntry({ key: 'b', payload: '', previous: 48, crc: 0, flags: 1, timestamp: 12 }),
      ),
    )
    const base = { dataId: 0, parentId: 0, parentOff: 0 }
    writeFileSync(
      file('i', 0),
      cat(
        specIndexHeader(0),
        specIndexEntry({
          ...base,
          key: 'a',
          offset: 28,
          length: 1,
          previous: 0,
          flags: 0,
          timestamp: 10,
          crc: crcA,
        }),
        specIndexEntry({
          ...base,
          key: 'b',
          offset: 48,
          length: 2,
          previous: 29,
          flags: 1,
          timestamp: 11,
          crc: crcB,
        }),
      ),
    )
    const ns = openNs()
    expect(value(ns, 'a')).toBe('1')
    expect(ns.get(Buffer.from('a'))?.timestamp).toBe(10)
    expect(value(ns, 'b')).toBeNull()
    expect(ns.entries).toBe(1)
    expect(warnings).toEqual([])
  })

  it('reopening gives back every key written, across overwrites and deletes', () => {
    const ns = openNs()
    for (let i = 0; i < 50; i++) ns.set(Buffer.from(`k${i}`), Buffer.from(`v${i}`))
    for (let i = 0; i < 50; i += 3) ns.set(Buffer.from(`k${i}`), Buffer.from(`w${i}`))
    for (let i = 0; i < 50; i += 5) ns.del(Buffer.from(`k${i}`))
    ns.close()
    const again = openNs()
    for (let i = 0; i < 50; i++) {
      const expected = i % 5 === 0 ? null : i % 3 === 0 ? `w${i}` : `v${i}`
      expect(value(again, `k${i}`)).toBe(expected)
    }
    expect(again.entries).toBe(40)
  })

  it('a torn last index entry is truncated and logged; earlier keys survive and writes continue', () => {
    const ns = openNs()
    ns.set(Buffer.from('a'), Buffer.from('1'))
    ns.set(Buffer.from('b'), Buffer.from('2'))
    ns.close()
    const size = statSync(file('i', 0)).size
    truncateSync(file('i', 0), size - 3)
    const again = openNs()
    expect(value(again, 'a')).toBe('1')
    expect(value(again, 'b')).toBeNull()
    expect(warnings.join('\n')).toMatch(/torn index entry/)
    expect(statSync(file('i', 0)).size).toBe(size - 35)
    again.set(Buffer.from('c'), Buffer.from('3'))
    again.close()
    const third = openNs()
    expect([value(third, 'a'), value(third, 'b'), value(third, 'c')]).toEqual(['1', null, '3'])
  })

  it('a last index entry whose data fails its CRC is dropped', () => {
    const ns = openNs()
    ns.set(Buffer.from('a'), Buffer.from('1'))
    ns.set(Buffer.from('b'), Buffer.from('2'))
    ns.close()
    const data = read('d', 0)
    data[data.length - 1] = data.at(-1)! ^ 0xff
    writeFileSync(file('d', 0), data)
    const again = openNs()
    expect(value(again, 'a')).toBe('1')
    expect(again.get(Buffer.from('b'))).toBeUndefined()
    expect(warnings.join('\n')).toMatch(/no valid data entry/)
  })

  it('a torn data tail is cut so the next entry starts on a boundary', () => {
    const ns = openNs()
    ns.set(Buffer.from('a'), Buffer.from('1'))
    ns.close()
    appendFileSync(file('d', 0), Buffer.from([1, 9, 0, 0]))
    const again = openNs()
    expect(warnings.join('\n')).toMatch(/torn entry/)
    again.set(Buffer.from('b'), Buffer.from('2'))
    again.close()
    const third = openNs()
    expect([value(third, 'a'), value(third, 'b')]).toEqual(['1', '2'])
  })
})

describe('rotation', () => {
  it('jumps to files N+1 when the data file would pass datasize, and replays all files', () => {
    const ns = openNs({ datasize: 100 })
    for (let i = 0; i < 6; i++) ns.set(Buffer.from(`k${i}`), Buffer.alloc(40, 65 + i))
    expect(ns.currentFileId).toBeGreaterThanOrEqual(2)
    for (let id = 0; id <= ns.currentFileId; id++) {
      expect(read('i', id).subarray(0, 29)).toEqual(specIndexHeader(id))
      expect(read('d', id).subarray(0, 28)).toEqual(specDataHeader(id))
    }
    ns.set(Buffer.from('k0'), Buffer.from('new'))
    ns.close()
    const again = openNs({ datasize: 100 })
    expect(value(again, 'k0')).toBe('new')
    for (let i = 1; i < 6; i++) expect(value(again, `k${i}`)).toBe(String.fromCharCode(65 + i).repeat(40))
    expect(again.entries).toBe(6)
  })

  it('the first index entry of a new file points back to the last entry of the previous file', () => {
    const ns = openNs({ datasize: 60 })
    ns.set(Buffer.from('a'), Buffer.alloc(30))
    ns.set(Buffer.from('b'), Buffer.alloc(30))
    expect(ns.currentFileId).toBe(1)
    const entry = read('i', 1).subarray(29)
    expect(entry.readUInt32LE(9)).toBe(29)
    expect(entry.readUInt32LE(14)).toBe(1)
  })
})
