/**
 * Reading upstream 0-stor's metadata records: `MetaData` of `zstor/src/meta.rs` serialized with
 * bincode 1.3 defaults (spec zstor.md §3): little-endian fixed-width integers, `usize` as u64,
 * Vec and String lengths as u64, enum variants as u32, `Option` as a u8 tag 0/1, `[u8; 16]` as
 * 16 raw bytes, `SocketAddr` as a u32 variant (V4 = 0, V6 = 1), the IP octets and a u16 port.
 *
 * Upstream stores the data key (`EncryptionMeta::Aes(SymmetricKey)`, 64 hex characters) and each
 * backend's namespace password in every record. This reader checks them only as far as upstream's
 * own deserializer would (the key is 64 hex digits; a password is UTF-8) and skips them: neither
 * is copied, turned into a string, or returned. The input buffer still holds them; wipe it
 * (`bytes.fill(0)`) when done if that matters.
 * @module
 */
import { ByteReader } from './byte-reader.js'
import { CHECKSUM_LENGTH } from './checksum.js'
import { MetadataError } from './errors.js'
import { DEFAULT_CHUNK_SIZE, type Metadata, type ShardLocation, shardSizeFor } from './metadata.js'
import { OBJECT_CIPHER } from './pipeline.js'
import { STANDARD_RS_ID } from './standard-rs.js'
import { checkParams } from './validate.js'

/** An upstream zdb key (`zdb.rs` `Key`): `V1(u32)` for a 4-byte sequential key, `V2(u64)` for 8. */
export type UpstreamKey =
  | { readonly version: 1; readonly value: number }
  | { readonly version: 2; readonly value: bigint }

/** Upstream `ZdbConnectionInfo` without its password. */
export interface UpstreamConnectionInfo {
  /** `SocketAddr`: the IP as text (IPv6 in RFC 5952 form, as Rust prints it) and the port. */
  readonly address: { readonly family: 'ipv4' | 'ipv6'; readonly ip: string; readonly port: number }
  /** `namespace: Option<String>`; `null` for `None` (the default namespace). */
  readonly namespace: string | null
  /** Whether the record held a password for this backend. The password itself is skipped. */
  readonly hasPassword: boolean
}

/** Upstream `ShardInfo`. */
export interface UpstreamShardInfo {
  /** `shard_idx`: the shard's position in the stripe. */
  readonly shardIdx: number
  /** BLAKE2b-128 of the shard. */
  readonly checksum: Uint8Array
  /** The zdb keys of the shard's 2 MiB chunks, in order. */
  readonly keys: readonly UpstreamKey[]
  /** Where the shard is stored. */
  readonly ci: UpstreamConnectionInfo
}

/**
 * Upstream `MetaData` (spec §3), every field but the key and the passwords. Upstream records no
 * object size, compressed size or chunk size: its chunk size is the constant 2 MiB.
 */
export interface UpstreamMetadata {
  /** `data_shards`: k. */
  readonly dataShards: number
  /** `disposable_shards`: m. */
  readonly disposableShards: number
  /** BLAKE2b-128 of the original object. */
  readonly checksum: Uint8Array
  /** `EncryptionMeta`; the only variant is `Aes` (AES-256-GCM). Its key is not returned. */
  readonly encryption: { readonly algorithm: 'AES' }
  /** `CompressionMeta`; the only variant is `Snappy` (the snappy framing format). */
  readonly compression: { readonly algorithm: 'snappy' }
  /** `shards`, in the order stored (upstream pushes them in shard order). */
  readonly shards: readonly UpstreamShardInfo[]
}

const HEX_KEY_LENGTH = 64
// Smallest bincode ShardInfo: idx 8, checksum 16, key count 8, V4 address 4+4+2, two None tags.
const MIN_SHARD_INFO = 8 + CHECKSUM_LENGTH + 8 + 10 + 2
const MIN_KEY = 4 + 4

function isHexDigit(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66)
}

/** Whether `b` is well-formed UTF-8 (as Rust's `str::from_utf8` requires), without decoding it. */
function isUtf8(b: Uint8Array): boolean {
  let i = 0
  while (i < b.length) {
    const c = b[i]!
    if (c < 0x80) {
      i++
      continue
    }
    let n: number
    let lo = 0x80
    let hi = 0xbf
    if (c >= 0xc2 && c <= 0xdf) n = 1
    else if (c >= 0xe0 && c <= 0xef) {
      n = 2
      if (c === 0xe0) lo = 0xa0
      if (c === 0xed) hi = 0x9f
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3
      if (c === 0xf0) lo = 0x90
      if (c === 0xf4) hi = 0x8f
    } else return false
    if (i + n >= b.length) return false
    const second = b[i + 1]!
    if (second < lo || second > hi) return false
    for (let j = 2; j <= n; j++) {
      const next = b[i + j]!
      if (next < 0x80 || next > 0xbf) return false
    }
    i += n + 1
  }
  return true
}

/** A bincode `String`: u64 length, then UTF-8. */
function readString(r: ByteReader, what: string): string {
  const at = r.offset
  const length = r.u64(`${what} length`)
  if (length > r.remaining)
    throw r.corrupt(`truncated: ${what} claims ${length} bytes, ${r.remaining} left`, at)
  return r.utf8(length, what)
}

/** A bincode `Option` tag. */
function readOption(r: ByteReader, what: string): boolean {
  const at = r.offset
  const tag = r.u8(`${what} option tag`)
  if (tag > 1) throw r.corrupt(`${what}: option tag ${tag} is not 0 (None) or 1 (Some)`, at)
  return tag === 1
}

function readVariant(r: ByteReader, what: string, count: number): number {
  const at = r.offset
  const variant = r.u32(`${what} variant`)
  if (variant >= count) throw r.corrupt(`${what}: variant ${variant}, expected 0..${count - 1}`, at)
  return variant
}

/** A bincode Vec length, checked so that that many items of at least `min` bytes fit in what is left. */
function readCount(r: ByteReader, what: string, min: number): number {
  const at = r.offset
  const count = r.u64(`${what} count`)
  if (count * min > r.remaining) {
    throw r.corrupt(`truncated: ${count} ${what} need at least ${count * min} bytes, ${r.remaining} left`, at)
  }
  return count
}

function formatIpv6(octets: Uint8Array): string {
  const groups = Array.from({ length: 8 }, (_, i) => (octets[2 * i]! << 8) | octets[2 * i + 1]!)
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${octets.subarray(12).join('.')}`
  }
  let bestAt = -1
  let bestLength = 1 // RFC 5952 §4.2.2: a single zero group is not shortened
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLength) {
      bestAt = i
      bestLength = j - i
    }
    i = j
  }
  const hex = (gs: number[]) => gs.map((g) => g.toString(16)).join(':')
  if (bestAt < 0) return hex(groups)
  return `${hex(groups.slice(0, bestAt))}::${hex(groups.slice(bestAt + bestLength))}`
}

function readShardInfo(r: ByteReader, i: number): UpstreamShardInfo {
  const shardIdx = r.u64(`shards[${i}].shard_idx`)
  const checksum = r.bytes(CHECKSUM_LENGTH, `shards[${i}].checksum`)
  const keyCount = readCount(r, `shards[${i}].keys`, MIN_KEY)
  const keys: UpstreamKey[] = []
  for (let j = 0; j < keyCount; j++) {
    const what = `shards[${i}].keys[${j}]`
    keys.push(
      readVariant(r, what, 2) === 0
        ? { version: 1, value: r.u32(what) }
        : { version: 2, value: r.u64big(what) },
    )
  }
  const v6 = readVariant(r, `shards[${i}].ci.address`, 2) === 1
  const octets = r.bytes(v6 ? 16 : 4, `shards[${i}].ci.address ip`)
  const port = r.u16(`shards[${i}].ci.address port`)
  const ip = v6 ? formatIpv6(octets) : octets.join('.')
  const namespace = readOption(r, `shards[${i}].ci.namespace`)
    ? readString(r, `shards[${i}].ci.namespace`)
    : null
  const hasPassword = readOption(r, `shards[${i}].ci.password`)
  if (hasPassword) {
    const what = `shards[${i}].ci.password`
    const at = r.offset
    const length = r.u64(`${what} length`)
    if (length > r.remaining)
      throw r.corrupt(`truncated: ${what} claims ${length} bytes, ${r.remaining} left`, at)
    // Checked in place, as upstream's deserializer would, and never decoded into a string.
    const start = r.offset
    if (!isUtf8(r.view(length, what))) throw r.corrupt(`${what} is not valid UTF-8`, start)
  }
  return {
    shardIdx,
    checksum,
    keys,
    ci: { address: { family: v6 ? 'ipv6' : 'ipv4', ip, port }, namespace, hasPassword },
  }
}

/**
 * The upstream `MetaData` in `bytes`: the bincode serialization upstream's `save_meta` encrypts
 * and disperses (spec §3), after the metadata store's Reed-Solomon decoding and decryption. Every
 * field is returned except the data key and the namespace passwords, which are checked as
 * upstream's deserializer checks them and skipped (see the module notes).
 *
 * Throws `MetadataError` `ERR_METADATA_CORRUPT` for anything upstream's `bincode::deserialize`
 * would refuse (truncation, an unknown enum variant, an option tag other than 0/1, a key that is
 * not 64 hex digits, a string that is not UTF-8), for a `usize` over 2^53 - 1, and for bytes left
 * after the record (upstream never writes any; its deserializer would ignore them). Lengths are
 * checked against the bytes left before anything is allocated. It throws nothing else.
 */
export function decodeUpstreamMetadata(bytes: Uint8Array): UpstreamMetadata {
  if (!(bytes instanceof Uint8Array)) {
    throw new MetadataError('ERR_METADATA_CORRUPT', '`bytes` must be a Uint8Array')
  }
  const r = new ByteReader(bytes)
  const dataShards = r.u64('data_shards')
  const disposableShards = r.u64('disposable_shards')
  const checksum = r.bytes(CHECKSUM_LENGTH, 'checksum')
  readVariant(r, 'encryption', 1)
  const keyAt = r.offset
  const keyLength = r.u64('encryption key length')
  if (keyLength !== HEX_KEY_LENGTH) {
    throw r.corrupt(
      `the encryption key is ${keyLength} characters, upstream's is exactly ${HEX_KEY_LENGTH} hex digits`,
      keyAt,
    )
  }
  const hexAt = r.offset
  if (!r.view(HEX_KEY_LENGTH, 'encryption key').every(isHexDigit)) {
    throw r.corrupt('the encryption key is not 64 hex digits', hexAt)
  }
  readVariant(r, 'compression', 1)
  const count = readCount(r, 'shards', MIN_SHARD_INFO)
  const shards: UpstreamShardInfo[] = []
  for (let i = 0; i < count; i++) shards.push(readShardInfo(r, i))
  r.end('MetaData')
  return {
    dataShards,
    disposableShards,
    checksum,
    encryption: { algorithm: 'AES' },
    compression: { algorithm: 'snappy' },
    shards,
  }
}

/** The sizes upstream does not record, which our {@link Metadata} needs. */
export interface ObjectSizes {
  /** Bytes of the original object. */
  readonly size: number
  /** Bytes after snappy framing, before encryption. The shards' length follows from it. */
  readonly compressedSize: number
}

function unsupported(what: string): MetadataError {
  return new MetadataError('ERR_METADATA_UNSUPPORTED', `upstream metadata: ${what}`)
}

function keyBytes(key: UpstreamKey): Uint8Array {
  const out = new Uint8Array(key.version === 1 ? 4 : 8)
  const view = new DataView(out.buffer)
  if (key.version === 1) view.setUint32(0, key.value, true)
  else view.setBigUint64(0, key.value, true)
  return out
}

/**
 * Our {@link Metadata} for an object upstream stored, so that `decodeObject` can read it and
 * `encodeMetadata` can record it. Upstream does not record the object's sizes, so the caller
 * gives them (`sizes`), as learned when the object was first read. Keys become their 4- or
 * 8-byte little-endian form (what 0-db returned, spec §2 "Writes"), the chunk size is upstream's
 * 2 MiB, and shards are put in `shardIdx` order. Passwords are not carried over: take them from
 * the client's config.
 *
 * Throws `MetadataError` `ERR_METADATA_UNSUPPORTED` saying what does not fit: k or m out of
 * range, shard indices that are not each of `0..k+m-1` once, a shard whose key count does not
 * match 2 MiB chunks of the shard size, port 0 or an empty namespace; `ERR_METADATA_ARGUMENT`
 * for sizes that are not non-negative safe integers.
 */
export function toMetadata(upstream: UpstreamMetadata, sizes: ObjectSizes): Metadata {
  const { dataShards: k, disposableShards: m } = upstream
  try {
    checkParams(k, m)
  } catch (error) {
    throw unsupported((error as Error).message)
  }
  const { size, compressedSize } = sizes ?? {}
  if (
    !Number.isSafeInteger(size) ||
    size < 0 ||
    !Number.isSafeInteger(compressedSize) ||
    compressedSize < 0
  ) {
    throw new MetadataError(
      'ERR_METADATA_ARGUMENT',
      '`sizes.size` and `sizes.compressedSize` must be non-negative safe integers',
    )
  }
  const n = k + m
  if (upstream.shards.length !== n)
    throw unsupported(`${upstream.shards.length} shards, k + m = ${n} expected`)
  const byIndex: (UpstreamShardInfo | undefined)[] = new Array(n)
  for (const shard of upstream.shards) {
    if (shard.shardIdx >= n || byIndex[shard.shardIdx]) {
      throw unsupported(`shard index ${shard.shardIdx} is out of range 0..${n - 1} or repeated`)
    }
    byIndex[shard.shardIdx] = shard
  }
  const shardSize = shardSizeFor(compressedSize, k)
  const keyCount = Math.ceil(shardSize / DEFAULT_CHUNK_SIZE)
  const locations: ShardLocation[] = []
  const shardChecksums: Uint8Array[] = []
  for (let i = 0; i < n; i++) {
    const shard = byIndex[i]!
    const { address, namespace } = shard.ci
    if (address.port === 0) throw unsupported(`shard ${i} is on port 0`)
    if (namespace === '') throw unsupported(`shard ${i} has an empty namespace name`)
    if (shard.keys.length !== keyCount) {
      throw unsupported(
        `shard ${i} has ${shard.keys.length} keys, but a ${shardSize}-byte shard in 2 MiB chunks has ${keyCount}: are the sizes right?`,
      )
    }
    shardChecksums.push(shard.checksum.slice())
    locations.push({
      address: { kind: 'tcp', host: address.ip, port: address.port },
      namespace,
      keys: shard.keys.map(keyBytes),
    })
  }
  return {
    size,
    checksum: upstream.checksum.slice(),
    compression: 'snappy',
    compressedSize,
    cipher: OBJECT_CIPHER,
    erasureCode: STANDARD_RS_ID,
    k,
    m,
    shardSize,
    shardChecksums,
    chunkSize: DEFAULT_CHUNK_SIZE,
    locations,
  }
}
