/**
 * Writes an object the way upstream 0-stor v2 does (spec zstor.md §2–3), byte for byte: shards
 * from the same pipeline (snappy framing, AES-256-GCM, PKCS7-like padding, standard RS) appended
 * to sequential namespaces, a bincode `MetaData` holding the key and passwords, sealed and RS
 * 2+2 coded over exactly four meta backends as `[i] || shard || blake2b128(shard)`.
 */
import {
  blake2b128,
  createCipher,
  createStandardRs,
  encodeObject,
  padAndSplit,
  parseHexKey,
} from '@qsfs/zstor-codec'
import type { Redis } from 'ioredis'
import { connectTo } from './backend-client.js'
import type { TestBackend } from './cluster.js'

async function connect(b: TestBackend): Promise<Redis> {
  const redis = await connectTo(b.port)
  await redis.call('SELECT', b.namespace)
  return redis
}

class Bincode {
  readonly out: number[] = []
  u32(v: number) {
    this.out.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24)
  }
  u64(v: number | bigint) {
    const b = Buffer.alloc(8)
    b.writeBigUInt64LE(BigInt(v))
    this.out.push(...b)
  }
  str(s: string) {
    const b = Buffer.from(s, 'utf8')
    this.u64(b.length)
    this.out.push(...b)
  }
  optStr(s: string | null) {
    if (s === null) this.out.push(0)
    else {
      this.out.push(1)
      this.str(s)
    }
  }
}

/** Stores `data` as upstream would, under metadata key `metaKey`; returns the zdb key of each shard. */
export async function storeAsUpstream(options: {
  data: Uint8Array
  hexKey: string
  k: number
  m: number
  dataBackends: readonly TestBackend[]
  metaBackends: readonly TestBackend[]
  metaKey: string
}): Promise<Buffer[]> {
  const { data, hexKey, k, m } = options
  const key = parseHexKey(hexKey)
  const { shards, meta } = await encodeObject(data, { k, m, compression: 'snappy', key })
  const w = new Bincode()
  w.u64(k)
  w.u64(m)
  w.out.push(...meta.checksum)
  w.u32(0) // EncryptionMeta::Aes
  w.str(hexKey) // upstream puts the data key in every record
  w.u32(0) // CompressionMeta::Snappy
  w.u64(k + m)
  const zdbKeys: Buffer[] = []
  for (let i = 0; i < shards.length; i++) {
    const backend = options.dataBackends[i]!
    const redis = await connect(backend)
    const zdbKey = (await redis.callBuffer('SET', '', Buffer.from(shards[i]!))) as Buffer
    redis.disconnect()
    zdbKeys.push(zdbKey)
    w.u64(i)
    w.out.push(...meta.shardChecksums[i]!)
    w.u64(1)
    w.u32(1) // Key::V2
    w.out.push(...zdbKey)
    w.u32(0) // SocketAddr::V4
    w.out.push(127, 0, 0, 1, backend.port & 0xff, backend.port >>> 8)
    w.optStr(backend.namespace)
    w.optStr(backend.password)
  }
  const record = Uint8Array.from(w.out)
  const cipher = createCipher({ key })
  const sealed = cipher.encrypt(record)
  cipher.destroy()
  const dataShards = padAndSplit(sealed, 2)
  const metaShards = [...dataShards, ...(await createStandardRs(2, 2).encode(dataShards))]
  for (let i = 0; i < 4; i++) {
    const redis = await connect(options.metaBackends[i]!)
    const shard = metaShards[i]!
    await redis.call('SET', options.metaKey, Buffer.concat([Buffer.from([i]), shard, blake2b128(shard)]))
    redis.disconnect()
  }
  return zdbKeys
}
