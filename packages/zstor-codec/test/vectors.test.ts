import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createStandardRs, joinAndUnpad, padAndSplit, standardRsMatrix } from '../src/index.js'
import { hex, unhex } from './helpers.js'

interface Vectors {
  about: string
  cases: { k: number; m: number; parity_rows: string[]; data: string[]; parity: string[] }[]
  padded: { k: number; m: number; object: string; shards: string[] }[]
}

const vectors = JSON.parse(
  readFileSync(new URL('./vectors/rs-backblaze.json', import.meta.url), 'utf8'),
) as Vectors

describe('the Backblaze/klauspost vectors (test/vectors/rs-backblaze.json)', () => {
  it('are all present, so no case is skipped silently', () => {
    expect(vectors.cases.length).toBeGreaterThanOrEqual(6)
    expect(vectors.padded.length).toBeGreaterThanOrEqual(3)
  })

  for (const c of vectors.cases) {
    describe(`k = ${c.k}, m = ${c.m}`, () => {
      it('our coding matrix has their parity rows at the bottom and the identity on top', () => {
        const rows = standardRsMatrix(c.k, c.m)
        expect(rows.slice(c.k).map(hex)).toEqual(c.parity_rows)
        rows.slice(0, c.k).forEach((row, r) => {
          expect([...row]).toEqual(Array.from({ length: c.k }, (_, col) => (col === r ? 1 : 0)))
        })
      })

      it('encoding their data gives their parity', async () => {
        const parity = await createStandardRs(c.k, c.m).encode(c.data.map(unhex))
        expect(parity.map(hex)).toEqual(c.parity)
      })

      it('the first m data shards are rebuilt from the rest and the parity', async () => {
        const shards = [...c.data, ...c.parity].map((h, i) => (i < c.m ? null : unhex(h)))
        const whole = await createStandardRs(c.k, c.m).reconstruct(shards)
        expect(whole.map(hex)).toEqual([...c.data, ...c.parity])
      })
    })
  }

  for (const c of vectors.padded) {
    describe(`padded object of ${c.object.length / 2} bytes, k = ${c.k}, m = ${c.m}`, () => {
      it('padding and splitting gives their data shards, and encoding them their parity', async () => {
        const data = padAndSplit(unhex(c.object), c.k)
        const parity = await createStandardRs(c.k, c.m).encode(data)
        expect([...data, ...parity].map(hex)).toEqual(c.shards)
      })

      it('their data shards join and unpad back to the object', () => {
        expect(hex(joinAndUnpad(c.shards.slice(0, c.k).map(unhex)))).toEqual(c.object)
      })
    })
  }
})
