/**
 * Our binary metadata record, format version 1: everything needed to fetch and decode an object
 * except the key. It carries what upstream's bincode `MetaData` carries (spec zstor.md §3) plus
 * the object's sizes and the zdb chunk size, and leaves out what upstream wrongly puts there:
 * the data key and the backends' namespace passwords. The byte layout is the table in the
 * package README ("Metadata"); all integers are little-endian.
 *
 * Decoding is total: whatever the input, {@link decodeMetadata} returns a `Metadata` that
 * `decodeObject` accepts, or throws a `MetadataError`. Every length is checked against the bytes
 * left before anything is allocated, and a CRC-32C over the whole record rejects random or
 * altered bytes before any field is trusted.
 * @module
 */
import { ByteReader } from './byte-reader.js'
import { CHECKSUM_LENGTH } from './checksum.js'
import { SEALED_OVERHEAD } from './cipher.js'
import type { Compression } from './compression.js'
import { crc32c } from './crc32c.js'
import { checkCodeParams, type ErasureCodeId } from './erasure-engines.js'
import { MetadataError } from './errors.js'
import { OBJECT_CIPHER, type ObjectMeta } from './pipeline.js'
import { RONOMON_RS_ID } from './ronomon-rs.js'
import { STANDARD_RS_ID } from './standard-rs.js'

export { MetadataError, type MetadataErrorCode } from './errors.js'

/** The format version {@link encodeMetadata} writes. */
export const METADATA_VERSION = 1
/** The format versions {@link decodeMetadata} reads. */
export const METADATA_VERSIONS: readonly number[] = [1]
/** The first four bytes of every record: ASCII `QSFM` (QSFS metadata). */
export const METADATA_MAGIC: Uint8Array = Uint8Array.of(0x51, 0x53, 0x46, 0x4d)
/** The zdb chunk size upstream 0-stor writes shards in (`MAX_ZDB_CHUNK_SIZE`, spec §2): 2 MiB. */
export const DEFAULT_CHUNK_SIZE = 2 * 1024 * 1024

/** Where a backend listens. `host` is an IP literal (IPv6 without brackets) or a host name. */
export type BackendAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string }

/** Where one shard is stored. It holds no password: that belongs to the client's config. */
export interface ShardLocation {
  /** The 0-db server. */
  readonly address: BackendAddress
  /** The namespace, or `null` for the server's default namespace (no `SELECT`). */
  readonly namespace: string | null
  /**
   * The keys the shard was written under, in order: the shard is its chunks concatenated. Every
   * chunk but the last holds exactly `chunkSize` bytes, so there are `ceil(shardSize / chunkSize)`
   * keys. Each is the raw key 0-db returned (8 bytes little-endian in sequential mode; 4 in 0-db
   * v1), 1..255 bytes.
   */
  readonly keys: readonly Uint8Array[]
}

/**
 * The pipeline's {@link ObjectMeta} plus where each shard is stored: the decoded form of a
 * metadata record. A `Metadata` is an `ObjectMeta`, so it can be passed to `decodeObject` as is.
 * It never holds the key or a backend password.
 */
export interface Metadata extends ObjectMeta {
  /** Bytes per zdb entry a shard was split into (upstream: 2 MiB, {@link DEFAULT_CHUNK_SIZE}). */
  readonly chunkSize: number
  /** `locations[i]` is where shard `i` is stored: `k + m` entries, in shard order. */
  readonly locations: readonly ShardLocation[]
}

/** Erasure code ids: 1 = upstream's standard code, 2 = the `@ronomon/reed-solomon` profile. */
const ERASURE_IDS = new Map<number, ErasureCodeId>([
  [1, STANDARD_RS_ID],
  [2, RONOMON_RS_ID],
])
const COMPRESSION_IDS = new Map<number, Compression>([
  [0, 'none'],
  [1, 'snappy'],
  [2, 'zstd'],
])
const CIPHER_IDS = new Map<number, typeof OBJECT_CIPHER>([[1, OBJECT_CIPHER]])
/** Checksum id 1: BLAKE2b-128 (spec §2 steps 1 and 5), 16 bytes. */
const BLAKE2B_128_ID = 1
const ADDRESS_TCP = 1
const ADDRESS_UNIX = 2

const HEADER_LENGTH = 48
const CRC_LENGTH = 4
const MAX_CHUNK_SIZE = 0xffffffff

const reverse = <V>(map: Map<number, V>) => new Map([...map].map(([id, v]) => [v, id] as const))
const ERASURE_BY_NAME = reverse(ERASURE_IDS)
const COMPRESSION_BY_NAME = reverse(COMPRESSION_IDS)
const CIPHER_BY_NAME = reverse(CIPHER_IDS)
const utf8 = new TextEncoder()

/** The shard length of a sealed object of `compressedSize + 28` bytes padded over `k` (spec §2 step 4). */
export function shardSizeFor(compressedSize: number, k: number): number {
  return Math.floor((compressedSize + SEALED_OVERHEAD) / k) + 1
}

function bad(what: string): MetadataError {
  return new MetadataError('ERR_METADATA_ARGUMENT', `\`meta\`: ${what}`)
}

const isSize = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0

function isBytes(v: unknown, length?: number): v is Uint8Array {
  return v instanceof Uint8Array && (length === undefined || v.length === length)
}

/** UTF-8 of `text`, checked to be `min..max` bytes. */
function textBytes(text: unknown, what: string, min: number, max: number): Uint8Array {
  if (typeof text !== 'string') throw bad(`${what} must be a string`)
  const b = utf8.encode(text)
  if (b.length < min || b.length > max)
    throw bad(`${what} must be ${min}..${max} bytes of UTF-8, got ${b.length}`)
  return b
}

/** Grows as needed; `finish` returns exactly the bytes written. */
class ByteWriter {
  #buf = new Uint8Array(256)
  #view = new DataView(this.#buf.buffer)
  #length = 0

  #room(n: number): number {
    if (this.#length + n > this.#buf.length) {
      const next = new Uint8Array(Math.max(this.#buf.length * 2, this.#length + n))
      next.set(this.#buf.subarray(0, this.#length))
      this.#buf = next
      this.#view = new DataView(next.buffer)
    }
    const at = this.#length
    this.#length += n
    return at
  }

  u8(v: number): void {
    const at = this.#room(1)
    this.#view.setUint8(at, v)
  }
  u16(v: number): void {
    const at = this.#room(2)
    this.#view.setUint16(at, v, true)
  }
  u32(v: number): void {
    const at = this.#room(4)
    this.#view.setUint32(at, v, true)
  }
  u64(v: number): void {
    const at = this.#room(8)
    this.#view.setBigUint64(at, BigInt(v), true)
  }
  bytes(b: Uint8Array): void {
    const at = this.#room(b.length) // before reading #buf: room() may replace it
    this.#buf.set(b, at)
  }
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#length)
  }
}

/**
 * The binary record of `meta`, format version {@link METADATA_VERSION} (layout in the README).
 * Only the fields of {@link Metadata} are read, so a key or password set on `meta` by mistake is
 * never written. Throws `MetadataError` `ERR_METADATA_ARGUMENT` naming the field at fault when
 * `meta` is incomplete, out of range or inconsistent (its `shardSize` must follow from
 * `compressedSize` and `k`; each shard needs `ceil(shardSize / chunkSize)` keys).
 */
export function encodeMetadata(meta: Metadata): Uint8Array {
  if (typeof meta !== 'object' || meta === null) throw bad('must be an object')
  const m = meta as Partial<Record<keyof Metadata, unknown>>
  const erasure = ERASURE_BY_NAME.get(m.erasureCode as ErasureCodeId)
  if (erasure === undefined) throw bad(`erasureCode ${JSON.stringify(m.erasureCode)} has no id in format 1`)
  try {
    checkCodeParams(m.erasureCode as ErasureCodeId, m.k, m.m)
  } catch (error) {
    throw bad((error as Error).message)
  }
  const k = m.k as number
  const n = k + (m.m as number)
  const compression = COMPRESSION_BY_NAME.get(m.compression as Compression)
  if (compression === undefined)
    throw bad(`compression ${JSON.stringify(m.compression)} has no id in format 1`)
  const cipher = CIPHER_BY_NAME.get(m.cipher as typeof OBJECT_CIPHER)
  if (cipher === undefined) throw bad(`cipher ${JSON.stringify(m.cipher)} has no id in format 1`)
  if (!isSize(m.size) || !isSize(m.compressedSize)) {
    throw bad('size and compressedSize must be non-negative safe integers')
  }
  if (m.compressedSize > Number.MAX_SAFE_INTEGER - SEALED_OVERHEAD) throw bad('compressedSize is too large')
  if (m.compression === 'none' && m.compressedSize !== m.size) {
    throw bad(`compression 'none' but compressedSize ${m.compressedSize} differs from size ${m.size}`)
  }
  const shardSize = shardSizeFor(m.compressedSize, k)
  if (m.shardSize !== shardSize) {
    throw bad(
      `shardSize is ${String(m.shardSize)}, but compressedSize ${m.compressedSize} and k = ${k} give ${shardSize}`,
    )
  }
  if (
    !Number.isSafeInteger(m.chunkSize) ||
    (m.chunkSize as number) < 1 ||
    (m.chunkSize as number) > MAX_CHUNK_SIZE
  ) {
    throw bad(`chunkSize must be an integer 1..${MAX_CHUNK_SIZE}, got ${String(m.chunkSize)}`)
  }
  const keyCount = Math.ceil(shardSize / (m.chunkSize as number))
  if (!isBytes(m.checksum, CHECKSUM_LENGTH)) throw bad(`checksum must be ${CHECKSUM_LENGTH} bytes`)
  const sums = m.shardChecksums
  const locations = m.locations
  if (!Array.isArray(sums) || sums.length !== n) throw bad(`shardChecksums must hold k + m = ${n} checksums`)
  if (!Array.isArray(locations) || locations.length !== n)
    throw bad(`locations must hold k + m = ${n} entries`)

  const w = new ByteWriter()
  w.bytes(METADATA_MAGIC)
  w.u8(METADATA_VERSION)
  w.u8(erasure)
  w.u8(k)
  w.u8(m.m as number)
  w.u8(compression)
  w.u8(cipher)
  w.u8(BLAKE2B_128_ID)
  w.u8(0) // flags, none defined
  w.u64(m.size)
  w.u64(m.compressedSize)
  w.u32(m.chunkSize as number)
  w.bytes(m.checksum)
  for (let i = 0; i < n; i++) {
    const sum: unknown = sums[i]
    if (!isBytes(sum, CHECKSUM_LENGTH)) throw bad(`shardChecksums[${i}] must be ${CHECKSUM_LENGTH} bytes`)
    const at = `locations[${i}]`
    const loc = locations[i] as Partial<Record<keyof ShardLocation, unknown>> | null
    if (typeof loc !== 'object' || loc === null) throw bad(`${at} must be an object`)
    w.u8(i)
    w.bytes(sum)
    const address = loc.address as Partial<{ kind: unknown; host: unknown; port: unknown; path: unknown }>
    if (typeof address !== 'object' || address === null) throw bad(`${at}.address must be an object`)
    if (address.kind === 'tcp') {
      if (
        !Number.isInteger(address.port) ||
        (address.port as number) < 1 ||
        (address.port as number) > 0xffff
      ) {
        throw bad(`${at}.address.port must be an integer 1..65535, got ${String(address.port)}`)
      }
      const host = textBytes(address.host, `${at}.address.host`, 1, 255)
      w.u8(ADDRESS_TCP)
      w.u16(address.port as number)
      w.u8(host.length)
      w.bytes(host)
    } else if (address.kind === 'unix') {
      const path = textBytes(address.path, `${at}.address.path`, 1, 0xffff)
      w.u8(ADDRESS_UNIX)
      w.u16(path.length)
      w.bytes(path)
    } else {
      throw bad(`${at}.address.kind must be 'tcp' or 'unix', got ${JSON.stringify(address.kind)}`)
    }
    if (loc.namespace === null) w.u8(0)
    else {
      const ns = textBytes(loc.namespace, `${at}.namespace`, 1, 255)
      w.u8(ns.length)
      w.bytes(ns)
    }
    const keys = loc.keys
    if (!Array.isArray(keys) || keys.length !== keyCount) {
      throw bad(
        `${at}.keys must hold ceil(shardSize / chunkSize) = ${keyCount} keys, got ${Array.isArray(keys) ? keys.length : typeof keys}`,
      )
    }
    w.u32(keyCount)
    keys.forEach((key: unknown, j) => {
      if (!isBytes(key) || key.length < 1 || key.length > 255)
        throw bad(`${at}.keys[${j}] must be 1..255 bytes`)
      w.u8(key.length)
      w.bytes(key)
    })
  }
  const body = w.finish()
  const out = new Uint8Array(body.length + CRC_LENGTH)
  out.set(body)
  new DataView(out.buffer).setUint32(body.length, crc32c(body), true)
  return out
}

function idOf<V>(map: Map<number, V>, id: number, what: string): V {
  const v = map.get(id)
  if (v === undefined) {
    const known = [...map].map(([i, name]) => `${i} = ${String(name)}`).join(', ')
    throw new MetadataError('ERR_METADATA_UNSUPPORTED', `${what} id ${id} is not known (known: ${known})`)
  }
  return v
}

/**
 * The {@link Metadata} in a record written by {@link encodeMetadata}. Throws `MetadataError`:
 * `ERR_METADATA_VERSION` for a record of another format version (the message lists the versions
 * read here), `ERR_METADATA_CORRUPT` for bytes that are truncated, altered (CRC-32C mismatch),
 * not a record at all (magic), or that decode to inconsistent fields, and
 * `ERR_METADATA_UNSUPPORTED` for an erasure code, compression, cipher or checksum id this
 * version does not know. It throws nothing else, and allocates no more than the input's size.
 */
export function decodeMetadata(bytes: Uint8Array): Metadata {
  if (!(bytes instanceof Uint8Array)) {
    throw new MetadataError('ERR_METADATA_CORRUPT', '`bytes` must be a Uint8Array')
  }
  const r = new ByteReader(bytes)
  for (let i = 0; i < METADATA_MAGIC.length; i++) {
    if (r.remaining === 0) throw r.corrupt(`truncated: ${bytes.length} bytes, inside the magic "QSFM"`)
    if (r.u8('magic') !== METADATA_MAGIC[i]) {
      throw new MetadataError('ERR_METADATA_CORRUPT', 'not a metadata record: it does not start with "QSFM"')
    }
  }
  const version = r.u8('version')
  if (!METADATA_VERSIONS.includes(version)) {
    throw new MetadataError(
      'ERR_METADATA_VERSION',
      `metadata format version ${version} is not supported; this package reads version ${METADATA_VERSIONS.join(', ')}`,
    )
  }
  if (bytes.length < HEADER_LENGTH + CRC_LENGTH) {
    throw r.corrupt(
      `truncated: a record is at least ${HEADER_LENGTH + CRC_LENGTH} bytes, got ${bytes.length}`,
    )
  }
  const bodyLength = bytes.length - CRC_LENGTH
  const stored = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(bodyLength, true)
  if (crc32c(bytes.subarray(0, bodyLength)) !== stored) {
    throw r.corrupt('CRC-32C mismatch: the record is truncated or altered', bodyLength)
  }
  const body = new ByteReader(bytes.subarray(0, bodyLength), r.offset)
  const erasureCode = idOf(ERASURE_IDS, body.u8('erasure code'), 'erasure code')
  const kAt = body.offset
  const k = body.u8('k')
  const m = body.u8('m')
  try {
    checkCodeParams(erasureCode, k, m)
  } catch (error) {
    throw body.corrupt((error as Error).message, kAt)
  }
  const compression = idOf(COMPRESSION_IDS, body.u8('compression'), 'compression')
  const cipher = idOf(CIPHER_IDS, body.u8('cipher'), 'cipher')
  idOf(new Map([[BLAKE2B_128_ID, 'blake2b-128']]), body.u8('checksum'), 'checksum')
  const flags = body.u8('flags')
  if (flags !== 0) {
    throw new MetadataError(
      'ERR_METADATA_UNSUPPORTED',
      `flags 0x${flags.toString(16)} set; format 1 defines none`,
    )
  }
  const size = body.u64('size')
  const compressedSize = body.u64('compressedSize', Number.MAX_SAFE_INTEGER - SEALED_OVERHEAD)
  if (compression === 'none' && compressedSize !== size) {
    throw body.corrupt(`compression 'none' but compressedSize ${compressedSize} differs from size ${size}`)
  }
  const chunkSize = body.u32('chunkSize')
  if (chunkSize === 0) throw body.corrupt('chunkSize is 0')
  const checksum = body.bytes(CHECKSUM_LENGTH, 'checksum')
  const shardSize = shardSizeFor(compressedSize, k)
  const keyCount = Math.ceil(shardSize / chunkSize)
  const n = k + m
  const shardChecksums: Uint8Array[] = []
  const locations: ShardLocation[] = []
  for (let i = 0; i < n; i++) {
    const at = body.offset
    const index = body.u8(`shard ${i} index`)
    if (index !== i)
      throw body.corrupt(`shard record ${i} has index ${index}; records must be in shard order`, at)
    shardChecksums.push(body.bytes(CHECKSUM_LENGTH, `shard ${i} checksum`))
    const kind = body.u8(`shard ${i} address kind`)
    let address: BackendAddress
    if (kind === ADDRESS_TCP) {
      const port = body.u16(`shard ${i} port`)
      if (port === 0) throw body.corrupt(`shard ${i} port is 0`)
      const hostLength = body.u8(`shard ${i} host length`)
      if (hostLength === 0) throw body.corrupt(`shard ${i} host is empty`)
      address = { kind: 'tcp', host: body.utf8(hostLength, `shard ${i} host`), port }
    } else if (kind === ADDRESS_UNIX) {
      const pathLength = body.u16(`shard ${i} path length`)
      if (pathLength === 0) throw body.corrupt(`shard ${i} socket path is empty`)
      address = { kind: 'unix', path: body.utf8(pathLength, `shard ${i} socket path`) }
    } else {
      throw body.corrupt(
        `shard ${i} address kind ${kind} is not ${ADDRESS_TCP} (tcp) or ${ADDRESS_UNIX} (unix)`,
      )
    }
    const nsLength = body.u8(`shard ${i} namespace length`)
    const namespace = nsLength === 0 ? null : body.utf8(nsLength, `shard ${i} namespace`)
    const countAt = body.offset
    const count = body.u32(`shard ${i} key count`)
    if (count !== keyCount) {
      throw body.corrupt(
        `shard ${i} has ${count} keys, but ${shardSize}-byte shards in ${chunkSize}-byte chunks need ${keyCount}`,
        countAt,
      )
    }
    // Each key takes at least 2 bytes, so a forged count fails here rather than in allocation.
    if (count * 2 > body.remaining) {
      throw body.corrupt(`truncated: shard ${i} claims ${count} keys, ${body.remaining} bytes left`, countAt)
    }
    const keys: Uint8Array[] = []
    for (let j = 0; j < count; j++) {
      const length = body.u8(`shard ${i} key ${j} length`)
      if (length === 0) throw body.corrupt(`shard ${i} key ${j} is empty`)
      keys.push(body.bytes(length, `shard ${i} key ${j}`))
    }
    locations.push({ address, namespace, keys })
  }
  body.end('the last shard record')
  return {
    size,
    checksum,
    compression,
    compressedSize,
    cipher,
    erasureCode,
    k,
    m,
    shardSize,
    shardChecksums,
    chunkSize,
    locations,
  }
}
