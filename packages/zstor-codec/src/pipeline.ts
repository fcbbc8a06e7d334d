/**
 * The object pipeline of upstream 0-stor (spec zstor.md §2, `actors/pipeline.rs::process_file`),
 * whole objects in memory: BLAKE2b-128 of the original (step 1), compress (step 2), AES-256-GCM
 * (step 3), pad and Reed-Solomon encode into `k + m` shards (step 4), BLAKE2b-128 of every shard
 * (step 5); and the way back from any `k` shards whose checksums hold.
 *
 * Unlike upstream, the metadata returned here does not hold the key (spec §3 puts the data key
 * inside every metadata record), a failed decryption is an error rather than a panic, and the
 * decoded object is checked against its recorded size and checksum before it is returned.
 * @module
 */
import { blake2b128, CHECKSUM_LENGTH, loadWasmChecksum } from './checksum.js'
import { type CipherEngine, createCipher, SEALED_OVERHEAD } from './cipher.js'
import { COMPRESSIONS, type Compression, compress, decompress } from './compression.js'
import {
  checkCodeParams,
  coderFor,
  ERASURE_CODE_IDS,
  ERASURE_PROFILES,
  type ErasureCodeId,
  type ErasureProfile,
  erasureCodeIdOf,
  isErasureCodeId,
} from './erasure-engines.js'
import { PipelineError } from './errors.js'
import { padSegments, unpaddedLength } from './padding.js'
import { snappyFrameBound } from './snappy-frame.js'

/** The cipher every object is sealed with (spec §2 step 3), as recorded in {@link ObjectMeta}. */
export const OBJECT_CIPHER = 'aes-256-gcm'

/** Options of {@link encodeObject}. */
export interface EncodeObjectOptions {
  /** Data shards: any `k` shards rebuild the object (upstream `minimal_shards`), 1..255. */
  k: number
  /** Parity shards: how many may be lost (upstream `expected_shards - minimal_shards`), 1..256-k. */
  m: number
  /** `snappy` as upstream, `zstd`, or `none`. */
  compression: Compression
  /** The 32-byte AES-256 key. Not kept: the pipeline wipes its own copy when done. */
  key: Uint8Array
  /** The AES-256-GCM engine, as for `createCipher`; by default `node` where it exists. */
  engine?: CipherEngine
  /**
   * The erasure engine: `standard` (default; upstream's code, `rs-vandermonde-gf256`) or
   * `ronomon` (native `@ronomon/reed-solomon`, `rs-cauchy-ronomon`, `k` ≤ 24, `m` ≤ 6). The
   * metadata records the code, and {@link decodeObject} follows it.
   */
  erasure?: ErasureProfile
}

/** Options of {@link decodeObject}. */
export interface DecodeObjectOptions {
  /** The AES-256-GCM engine, as for `createCipher`. */
  engine?: CipherEngine
  /**
   * The caller already checked every shard it passes against `meta.shardChecksums` (a client
   * does, to know which shards to fetch instead): skip hashing them again. The decoded object
   * is still checked against its size and checksum, and the GCM tag still verified.
   */
  shardsVerified?: boolean
}

/**
 * Everything needed to decode an object besides its shards and the key: the in-memory form of
 * upstream's `MetaData` (spec §3) minus the key and the shard locations.
 */
export interface ObjectMeta {
  /** Bytes of the original object. */
  readonly size: number
  /** BLAKE2b-128 of the original object (upstream `MetaData.checksum`). */
  readonly checksum: Uint8Array
  /** How the object was compressed (upstream `CompressionMeta`). */
  readonly compression: Compression
  /** Bytes after compression, before encryption. */
  readonly compressedSize: number
  /** Always {@link OBJECT_CIPHER}: AES-256-GCM, `nonce(12) || ciphertext || tag(16)`. */
  readonly cipher: typeof OBJECT_CIPHER
  /**
   * The erasure code the shards were made with: `'rs-vandermonde-gf256'` (`STANDARD_RS_ID`) or
   * `'rs-cauchy-ronomon'` (`RONOMON_RS_ID`). Decoding uses the engine of this code.
   */
  readonly erasureCode: ErasureCodeId
  /** Data shards (upstream `data_shards`). */
  readonly k: number
  /** Parity shards (upstream `disposable_shards`). */
  readonly m: number
  /** Bytes in every shard. */
  readonly shardSize: number
  /** BLAKE2b-128 of each of the `k + m` shards, in shard order (upstream `ShardInfo.checksum`). */
  readonly shardChecksums: readonly Uint8Array[]
}

/** What {@link encodeObject} returns: `k` data shards then `m` parity shards, and their metadata. */
export interface EncodedObject {
  readonly shards: Uint8Array[]
  readonly meta: ObjectMeta
}

/** Uses the WebAssembly BLAKE2b where it loads; `noble` otherwise gives the same digests. */
async function fastChecksum(): Promise<void> {
  await loadWasmChecksum().catch(() => undefined)
}

/** The shard length upstream's padding gives a sealed object of `sealedSize` bytes (spec §2 step 4). */
function shardSizeOf(sealedSize: number, k: number): number {
  return (sealedSize + (k - (sealedSize % k))) / k
}

/** Plaintext memory of the last decode, kept for the next one (one per thread). */
let spareScratch: Uint8Array | undefined

function takeScratch(size: number): Uint8Array {
  const spare = spareScratch
  spareScratch = undefined
  // Kept up to twice the size asked, so that one large object does not pin memory for good.
  if (spare && spare.length >= size && spare.length <= 2 * size + 65536) return spare
  return new Uint8Array(size)
}

function giveScratch(scratch: Uint8Array): void {
  if (!spareScratch || scratch.length > spareScratch.length) spareScratch = scratch
}

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i])

/**
 * Encodes `data` into `k + m` shards following spec zstor.md §2 step by step, and returns them
 * with the metadata {@link decodeObject} needs. Argument errors keep the class of the stage that
 * checks them: `ErasureCodeError` `ERR_RS_PARAMS` for `k`/`m` (out of the chosen engine's limits),
 * `CryptoError` `ERR_KEY_LENGTH`, `CompressionError` `ERR_COMPRESSION_ARGUMENT`; an unknown
 * `erasure` profile is `PipelineError` `ERR_PIPELINE_ARGUMENT`.
 */
export async function encodeObject(data: Uint8Array, options: EncodeObjectOptions): Promise<EncodedObject> {
  if (!(data instanceof Uint8Array))
    throw new PipelineError('ERR_PIPELINE_ARGUMENT', '`data` must be a Uint8Array')
  if (typeof options !== 'object' || options === null) {
    throw new PipelineError(
      'ERR_PIPELINE_ARGUMENT',
      '`options` must be an object with k, m, compression and key',
    )
  }
  const { k, m, compression } = options
  const erasureCode = erasureCodeIdOf(options.erasure ?? 'standard')
  if (erasureCode === undefined) {
    throw new PipelineError(
      'ERR_PIPELINE_ARGUMENT',
      `\`erasure\` must be one of ${ERASURE_PROFILES.join(', ')}, got ${typeof options.erasure === 'string' ? JSON.stringify(options.erasure) : typeof options.erasure}`,
    )
  }
  checkCodeParams(erasureCode, k, m)
  const cipher = createCipher({ key: options.key, ...(options.engine ? { engine: options.engine } : {}) })
  try {
    await fastChecksum()
    const checksum = blake2b128(data)
    // The compressed bytes only live until they are sealed: into reused memory (see decode).
    const scratch = compression === 'snappy' ? takeScratch(snappyFrameBound(data.length)) : undefined
    let compressedSize: number
    let shardSize: number
    let sealed: Uint8Array[]
    try {
      const compressed = await compress(data, compression, scratch ? { into: scratch } : {})
      compressedSize = compressed.length
      shardSize = shardSizeOf(compressedSize + SEALED_OVERHEAD, k)
      // The sealed object is written straight into new shard-sized buffers: no whole-object copy.
      sealed = cipher.encryptSegments(compressed, shardSize)
    } finally {
      if (scratch) giveScratch(scratch)
    }
    const dataShards = padSegments(sealed, k, shardSize)
    const shards = [...dataShards, ...(await coderFor(erasureCode, k, m).encode(dataShards))]
    const meta: ObjectMeta = {
      size: data.length,
      checksum,
      compression,
      compressedSize,
      cipher: OBJECT_CIPHER,
      erasureCode,
      k,
      m,
      shardSize,
      shardChecksums: shards.map((shard) => blake2b128(shard)),
    }
    return { shards, meta }
  } finally {
    cipher.destroy()
  }
}

function badMeta(what: string): PipelineError {
  return new PipelineError('ERR_OBJECT_META', `\`meta\`: ${what}`)
}

const isSize = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0

/** Checks that `meta` is complete, self-consistent and names a code and cipher this package has. */
function checkMeta(meta: unknown): asserts meta is ObjectMeta {
  if (typeof meta !== 'object' || meta === null) throw badMeta('must be an object')
  const m = meta as Partial<Record<keyof ObjectMeta, unknown>>
  if (!isErasureCodeId(m.erasureCode)) {
    throw badMeta(
      `erasure code ${JSON.stringify(m.erasureCode)} is not supported (only ${ERASURE_CODE_IDS.map((id) => `'${id}'`).join(', ')})`,
    )
  }
  if (m.cipher !== OBJECT_CIPHER)
    throw badMeta(`cipher ${JSON.stringify(m.cipher)} is not supported (only '${OBJECT_CIPHER}')`)
  if (!COMPRESSIONS.includes(m.compression as Compression)) {
    throw badMeta(`compression ${JSON.stringify(m.compression)} is not one of ${COMPRESSIONS.join(', ')}`)
  }
  try {
    checkCodeParams(m.erasureCode, m.k, m.m)
  } catch (error) {
    throw badMeta((error as Error).message)
  }
  const k = m.k as number
  const n = k + (m.m as number)
  if (!isSize(m.size) || !isSize(m.compressedSize) || !isSize(m.shardSize)) {
    throw badMeta('size, compressedSize and shardSize must be non-negative integers')
  }
  if (m.compression === 'none' && m.compressedSize !== m.size) {
    throw badMeta(`compression 'none' but compressedSize ${m.compressedSize} differs from size ${m.size}`)
  }
  const expected = shardSizeOf(m.compressedSize + SEALED_OVERHEAD, k)
  if (m.shardSize !== expected) {
    throw badMeta(
      `shardSize is ${m.shardSize}, but ${m.compressedSize} compressed bytes sealed and padded over k = ${k} give ${expected}`,
    )
  }
  if (!(m.checksum instanceof Uint8Array) || m.checksum.length !== CHECKSUM_LENGTH) {
    throw badMeta(`checksum must be ${CHECKSUM_LENGTH} bytes`)
  }
  const sums = m.shardChecksums
  if (!Array.isArray(sums) || sums.length !== n) {
    throw badMeta(
      `shardChecksums must hold k + m = ${n} checksums, got ${Array.isArray(sums) ? sums.length : typeof sums}`,
    )
  }
  sums.forEach((sum: unknown, i) => {
    if (!(sum instanceof Uint8Array) || sum.length !== CHECKSUM_LENGTH) {
      throw badMeta(`shardChecksums[${i}] must be ${CHECKSUM_LENGTH} bytes`)
    }
  })
}

/**
 * The object encoded by {@link encodeObject}, from any `k` of its shards whose BLAKE2b-128 holds.
 * `shards` has all `k + m` slots in shard order, `null` or `undefined` for a shard not fetched. A
 * shard of the wrong size or whose checksum fails counts as missing (spec §2 step 5); shards are
 * checked in order until `k` hold, so when the data shards are intact no parity shard is hashed.
 *
 * Errors: `PipelineError` `ERR_TOO_FEW_SHARDS` (how many held, how many are needed),
 * `ERR_OBJECT_META` (metadata incomplete or inconsistent, or naming an erasure code this package
 * lacks), `ERR_OBJECT_CHECKSUM` (the decoded object, or a data shard rebuilt with the recorded
 * erasure code, is not the one the metadata describes); `CryptoError` `ERR_DECRYPT_AUTH` (wrong key, or
 * shards and their checksums both altered); `CompressionError` `ERR_DECOMPRESS`.
 */
export async function decodeObject(
  shards: ReadonlyArray<Uint8Array | null | undefined>,
  meta: ObjectMeta,
  key: Uint8Array,
  options: DecodeObjectOptions = {},
): Promise<Uint8Array> {
  checkMeta(meta)
  const { k, m, shardSize } = meta
  const n = k + m
  if (!Array.isArray(shards) || shards.length !== n) {
    throw new PipelineError(
      'ERR_PIPELINE_ARGUMENT',
      `\`shards\` must be an array of k + m = ${n} slots (null for a missing shard), got ${Array.isArray(shards) ? `${shards.length} slots` : typeof shards}`,
    )
  }
  const cipher = createCipher({ key, ...(options.engine ? { engine: options.engine } : {}) })
  try {
    await fastChecksum()
    const stripe: (Uint8Array | null)[] = new Array<Uint8Array | null>(n).fill(null)
    let valid = 0
    let absent = 0
    let failed = 0
    for (let i = 0; i < n && valid < k; i++) {
      const shard: unknown = shards[i]
      if (shard === null || shard === undefined) absent++
      else if (!(shard instanceof Uint8Array)) {
        throw new PipelineError(
          'ERR_PIPELINE_ARGUMENT',
          `\`shards[${i}]\` must be a Uint8Array, or null when missing`,
        )
      } else if (
        shard.length !== shardSize ||
        (!options.shardsVerified && !equal(blake2b128(shard), meta.shardChecksums[i]!))
      )
        failed++
      else {
        stripe[i] = shard
        valid++
      }
    }
    if (valid < k) {
      throw new PipelineError(
        'ERR_TOO_FEW_SHARDS',
        `found ${valid} valid shards of ${n} (${absent} missing, ${failed} of wrong size or failing their checksum) and k = ${k} are needed`,
      )
    }
    let dataShards = stripe.slice(0, k) as Uint8Array[]
    if (!dataShards.every((s) => s !== null)) {
      dataShards = (await coderFor(meta.erasureCode, k, m).reconstruct(stripe)).slice(0, k)
      // A stripe made with another code than the one recorded rebuilds to wrong bytes although
      // every shard used held its checksum; checking the rebuilt data shards against theirs
      // reports that here, before padding, decryption or decompression see the wrong bytes. A
      // wrong code garbles every rebuilt shard, so hashing the first one is enough; the GCM tag
      // and the object checksum still cover all of them.
      const i = stripe.indexOf(null)
      if (!equal(blake2b128(dataShards[i]!), meta.shardChecksums[i]!)) {
        throw new PipelineError(
          'ERR_OBJECT_CHECKSUM',
          `rebuilt data shard ${i} does not match its checksum: the shards were not made with the erasure code the metadata records (${meta.erasureCode}, k = ${k}, m = ${m})`,
        )
      }
    }
    const sealedSize = unpaddedLength(dataShards)
    if (sealedSize !== meta.compressedSize + SEALED_OVERHEAD) {
      throw badMeta(
        `the shards hold ${sealedSize} sealed bytes, the metadata says ${meta.compressedSize + SEALED_OVERHEAD}`,
      )
    }
    // Compressed, the plaintext only lives until it is decompressed: it goes into memory the
    // previous object's used (checked out, so that concurrent decodes never share it).
    const scratch = meta.compression === 'none' ? undefined : takeScratch(sealedSize - SEALED_OVERHEAD)
    let data: Uint8Array
    try {
      const compressed = cipher.decryptSegments(dataShards, sealedSize, scratch)
      // The object's checksum below covers every decompressed byte: no frame CRCs needed.
      data = await decompress(compressed, meta.compression, { maxLength: meta.size, verifyChecksums: false })
      // Never hand out a view of memory the next decode overwrites.
      if (scratch && data.buffer === scratch.buffer) data = data.slice()
    } finally {
      if (scratch) giveScratch(scratch)
    }
    if (data.length !== meta.size || !equal(blake2b128(data), meta.checksum)) {
      throw new PipelineError(
        'ERR_OBJECT_CHECKSUM',
        `the decoded object (${data.length} bytes) does not match the size (${meta.size}) and BLAKE2b-128 checksum its metadata records`,
      )
    }
    return data
  } finally {
    cipher.destroy()
  }
}
