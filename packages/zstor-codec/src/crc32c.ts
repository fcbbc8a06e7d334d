/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), as the snappy framing format uses it,
 * and that format's masking of it (google/snappy `framing_format.txt` §3). After
 * {@link loadWasmCrc32c}, `hash-wasm`'s WebAssembly CRC-32C (about 2.5 times faster here);
 * before, or where WebAssembly is missing, slice-by-8 tables: eight bytes per step from 8 KiB.
 * @module
 */
import { createCRC32, type IHasher } from 'hash-wasm'

let wasm: IHasher | undefined
let loading: Promise<void> | undefined

/** Instantiates the WebAssembly CRC-32C once; {@link crc32c} uses it after. Never rejects. */
export function loadWasmCrc32c(): Promise<void> {
  loading ??= createCRC32(0x82f63b78).then(
    (hasher) => {
      wasm = hasher
    },
    () => undefined,
  )
  return loading
}

const TABLES = (() => {
  const t = new Int32Array(8 * 256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let i = 0; i < 8; i++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
    t[n] = c
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n]!
    for (let k = 1; k < 8; k++) {
      c = t[c & 0xff]! ^ (c >>> 8)
      t[k * 256 + n] = c
    }
  }
  return t
})()

/** The CRC-32C of `data`, as an unsigned 32-bit number (`"123456789"` gives 0xE3069283). */
export function crc32c(data: Uint8Array): number {
  if (wasm && data.length >= 64) {
    wasm.init()
    wasm.update(data)
    const d = wasm.digest('binary')
    return ((d[0]! << 24) | (d[1]! << 16) | (d[2]! << 8) | d[3]!) >>> 0
  }
  const t = TABLES
  let c = -1
  let i = 0
  const end8 = data.length - (data.length % 8)
  for (; i < end8; i += 8) {
    const lo = c ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))
    c =
      t[1792 + (lo & 0xff)]! ^
      t[1536 + ((lo >>> 8) & 0xff)]! ^
      t[1280 + ((lo >>> 16) & 0xff)]! ^
      t[1024 + (lo >>> 24)]! ^
      t[768 + data[i + 4]!]! ^
      t[512 + data[i + 5]!]! ^
      t[256 + data[i + 6]!]! ^
      t[data[i + 7]!]!
  }
  for (; i < data.length; i++) c = t[(c ^ data[i]!) & 0xff]! ^ (c >>> 8)
  return ~c >>> 0
}

/** The snappy framing format's masked CRC-32C: rotate right by 15, add 0xA282EAD8. */
export function maskedCrc32c(data: Uint8Array): number {
  const c = crc32c(data)
  return (((c >>> 15) | (c << 17)) + 0xa282ead8) >>> 0
}
