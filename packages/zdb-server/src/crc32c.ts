/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) as 0-db computes it: initial value 0
 * and **no** final XOR (spec zdb.md §2), so it differs from the usual iSCSI CRC-32C.
 * `crc32c(Buffer.from('XYZ')) === 0xfb355d37`. Slice-by-8 tables.
 * @module
 */

const POLY = 0x82f63b78
const TABLES = makeTables()

function makeTables(): Uint32Array[] {
  const tables: Uint32Array[] = []
  const t0 = new Uint32Array(256)
  for (let i = 0; i < 256; i++) {
    let c = i
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1
    t0[i] = c >>> 0
  }
  tables.push(t0)
  for (let t = 1; t < 8; t++) {
    const prev = tables[t - 1]!
    const next = new Uint32Array(256)
    for (let i = 0; i < 256; i++) next[i] = (prev[i]! >>> 8) ^ t0[prev[i]! & 0xff]!
    tables.push(next)
  }
  return tables
}

/** CRC-32C of `bytes` with init 0 and no final XOR; `crc` continues a previous result. */
export function crc32c(bytes: Uint8Array | string, crc = 0): number {
  const data = typeof bytes === 'string' ? Buffer.from(bytes) : bytes
  const [t0, t1, t2, t3, t4, t5, t6, t7] = TABLES as [
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
    Uint32Array,
  ]
  let c = crc >>> 0
  let i = 0
  const end8 = data.length - (data.length % 8)
  while (i < end8) {
    const lo = (c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0
    c =
      t7[lo & 0xff]! ^
      t6[(lo >>> 8) & 0xff]! ^
      t5[(lo >>> 16) & 0xff]! ^
      t4[lo >>> 24]! ^
      t3[data[i + 4]!]! ^
      t2[data[i + 5]!]! ^
      t1[data[i + 6]!]! ^
      t0[data[i + 7]!]!
    i += 8
  }
  while (i < data.length) c = (c >>> 8) ^ t0[(c ^ data[i++]!) & 0xff]!
  return c >>> 0
}
