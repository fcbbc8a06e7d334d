/**
 * Sequential-mode files byte for byte (spec zdb.md §2): 8-byte little-endian id keys, 42-byte
 * index entries, id `n` at `29 + rel * 42` of its file, and upstream's update layout (a flagged
 * copy appended, the key's own slot rewritten in place; libzdb/index_set.c).
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { encodeSeqKey } from '@qsfs/zdb-protocol'
import { describe, expect, it } from 'vitest'
import { crc32c } from '../src/crc32c.js'
import { ZdbFormatError } from '../src/errors.js'
import { cat, specDataEntry, specDataHeader, specIndexEntry, specIndexHeader } from './helpers/bytes.js'
import { namespaceFixture } from './helpers/namespace-fixture.js'

const TS = 1_600_000_000
const fx = namespaceFixture(TS)
const openNs = fx.open
const path = fx.file
const read = fx.read
/** An id's key as the latin1 string the byte helpers take. */
const idKey = (n: number): string => encodeSeqKey(n).toString('latin1')
const crc = (s: string): number => crc32c(Buffer.from(s))
const entry = (e: Partial<Parameters<typeof specIndexEntry>[0]> & { key: string }) =>
  specIndexEntry({
    offset: 0,
    length: 0,
    previous: 0,
    flags: 0,
    dataId: 0,
    timestamp: TS,
    crc: 0,
    parentId: 0,
    parentOff: 0,
    ...e,
  })

describe('sequential-mode writes are byte-identical to spec §2', () => {
  it('a fresh seq namespace has an i0 header with mode byte 1', () => {
    const ns = openNs({ mode: 'seq' })
    expect(ns.mode).toBe('seq')
    expect(read('i', 0)).toEqual(specIndexHeader(0, 1))
    expect(read('d', 0)).toEqual(specDataHeader(0))
  })

  it('an append writes the id as the 8-byte key of a data entry and of a 42-byte index entry', () => {
    const ns = openNs({ mode: 'seq' })
    expect(ns.append(Buffer.from('XYZ'))).toEqual(encodeSeqKey(0))
    expect(read('d', 0)).toEqual(
      cat(
        specDataHeader(0),
        specDataEntry({
          key: idKey(0),
          payload: 'XYZ',
          previous: 0,
          crc: 0xfb355d37,
          flags: 0,
          timestamp: TS,
        }),
      ),
    )
    const i0 = read('i', 0)
    expect(i0.length).toBe(29 + 42)
    expect(i0).toEqual(
      cat(specIndexHeader(0, 1), entry({ key: idKey(0), offset: 28, length: 3, crc: 0xfb355d37 })),
    )
  })

  it('an update appends a flagged copy (taking id 1) and rewrites slot 0, keeping its previous', () => {
    const ns = openNs({ mode: 'seq', now: () => TS + 5 })
    ns.append(Buffer.from('XYZ'), TS)
    expect(ns.set(encodeSeqKey(0), Buffer.from('abcd'))).toBe('written')
    expect(read('d', 0)).toEqual(
      cat(
        specDataHeader(0),
        specDataEntry({
          key: idKey(0),
          payload: 'XYZ',
          previous: 0,
          crc: crc('XYZ'),
          flags: 0,
          timestamp: TS,
        }),
        specDataEntry({
          key: idKey(0),
          payload: 'abcd',
          previous: 28,
          crc: crc('abcd'),
          flags: 0,
          timestamp: TS + 5,
        }),
      ),
    )
    expect(read('i', 0)).toEqual(
      cat(
        specIndexHeader(0, 1),
        // Slot of id 0, rewritten: new data, its parent is the copy at 29 + 42.
        entry({
          key: idKey(0),
          offset: 28 + 29,
          length: 4,
          crc: crc('abcd'),
          timestamp: TS + 5,
          parentOff: 71,
        }),
        // Slot of id 1: the old version, flagged deleted, previous → slot 0.
        entry({ key: idKey(0), offset: 28, length: 3, crc: crc('XYZ'), previous: 29, flags: 1 }),
      ),
    )
    expect(ns.append(Buffer.from('Q'))).toEqual(encodeSeqKey(2))
    expect(read('i', 0).subarray(29 + 2 * 42)).toEqual(
      entry({
        key: idKey(2),
        offset: 28 + 29 + 30,
        length: 1,
        crc: crc('Q'),
        timestamp: TS + 5,
        previous: 71,
      }),
    )
    expect(ns.nextId).toBe(3)
  })

  it('DEL flags the slot in place and appends an empty flagged data entry', () => {
    const ns = openNs({ mode: 'seq' })
    ns.append(Buffer.from('XYZ'))
    const before = read('i', 0)
    expect(ns.del(encodeSeqKey(0))).toBe(true)
    const flagged = Buffer.from(before)
    flagged[29 + 13] = 1
    expect(read('i', 0)).toEqual(flagged)
    expect(read('d', 0).subarray(28 + 29)).toEqual(
      specDataEntry({ key: idKey(0), payload: '', previous: 28, crc: 0, flags: 1, timestamp: TS }),
    )
    expect(ns.get(encodeSeqKey(0))).toBeUndefined()
    expect(ns.entries).toBe(0)
  })
})

describe('sequential-mode files written by hand from spec §2', () => {
  /** i0: id 0 live, id 1 deleted; i1: id 2 live. */
  function writeFiles(): void {
    mkdirSync(join(fx.dirs.indexDir, 'default'), { recursive: true })
    mkdirSync(join(fx.dirs.dataDir, 'default'), { recursive: true })
    const d0a = specDataEntry({
      key: idKey(0),
      payload: 'A',
      previous: 0,
      crc: crc('A'),
      flags: 0,
      timestamp: TS,
    })
    const d0b = specDataEntry({
      key: idKey(1),
      payload: 'BB',
      previous: 28,
      crc: crc('BB'),
      flags: 0,
      timestamp: TS,
    })
    writeFileSync(path('d', 0), cat(specDataHeader(0), d0a, d0b))
    writeFileSync(
      path('i', 0),
      cat(
        specIndexHeader(0, 1),
        entry({ key: idKey(0), offset: 28, length: 1, crc: crc('A') }),
        entry({ key: idKey(1), offset: 28 + d0a.length, length: 2, crc: crc('BB'), previous: 29, flags: 1 }),
      ),
    )
    writeFileSync(
      path('d', 1),
      cat(
        specDataHeader(1),
        specDataEntry({
          key: idKey(2),
          payload: 'CCC',
          previous: 0,
          crc: crc('CCC'),
          flags: 0,
          timestamp: TS,
        }),
      ),
    )
    writeFileSync(
      path('i', 1),
      cat(
        specIndexHeader(1, 1),
        entry({ key: idKey(2), offset: 28, length: 3, crc: crc('CCC'), previous: 71, dataId: 1 }),
      ),
    )
  }

  it('open in seq mode, and id n is read at 29 + rel * 42 of its file', () => {
    writeFiles()
    const ns = openNs()
    expect(ns.mode).toBe('seq')
    const value = (n: number): string | undefined => {
      const e = ns.get(encodeSeqKey(n))
      return e ? ns.read(e).toString() : undefined
    }
    expect([value(0), value(1), value(2), value(3)]).toEqual(['A', undefined, 'CCC', undefined])
    expect(ns.get(encodeSeqKey(2))).toMatchObject({ fileId: 1, idxOffset: 29, dataId: 1 })
    expect([ns.entries, ns.dataBytes, ns.nextId]).toEqual([2, 4, 3])
    expect(ns.append(Buffer.from('D'))).toEqual(encodeSeqKey(3))
    expect(read('i', 1).length).toBe(29 + 2 * 42)
  })

  it('a seq index entry whose key is not 8 bytes is refused at open', () => {
    writeFiles()
    writeFileSync(path('i', 0), cat(specIndexHeader(0, 1), entry({ key: 'four', offset: 28, length: 1 })))
    expect(() => openNs()).toThrow(ZdbFormatError)
  })

  it('a later index file whose header mode differs from i0 is refused at open', () => {
    writeFiles()
    writeFileSync(path('i', 1), specIndexHeader(1, 0))
    expect(() => openNs()).toThrow(/differs from i0's mode/)
  })
})
