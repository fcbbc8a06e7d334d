/** Independent references and small utilities shared by the tests. */

/**
 * GF(2^8)/0x11D product by shift-and-add ("Russian peasant"), sharing no table with the code
 * under test.
 */
export function mulRef(a: number, b: number): number {
  let product = 0
  for (let i = 0; i < 8; i++) {
    if (b & 1) product ^= a
    b >>= 1
    a <<= 1
    if (a & 0x100) a ^= 0x11d
  }
  return product
}

/** `rows × shards`, byte by byte with {@link mulRef}: the slowest correct encoder. */
export function mulShardsRef(rows: readonly Uint8Array[], shards: readonly Uint8Array[]): Uint8Array[] {
  const length = shards[0]?.length ?? 0
  return rows.map((row) => {
    const out = new Uint8Array(length)
    row.forEach((c, j) => {
      const shard = shards[j]!
      for (let i = 0; i < length; i++) out[i]! ^= mulRef(c, shard[i]!)
    })
    return out
  })
}

export const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
export const unhex = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))

/**
 * `count` shards of `length` bytes laid out back to back from byte `offset` of one buffer, so
 * that with an odd offset or length they start at unaligned addresses.
 */
export function shardsAt(offset: number, contents: readonly Uint8Array[]): Uint8Array[] {
  const length = contents[0]?.length ?? 0
  const buffer = new Uint8Array(offset + contents.length * length)
  return contents.map((c, i) => {
    const shard = buffer.subarray(offset + i * length, offset + (i + 1) * length)
    shard.set(c)
    return shard
  })
}

/** Deterministic pseudo-random bytes (xorshift32), for inputs too large to write out. */
export function bytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length)
  let x = seed | 1
  for (let i = 0; i < length; i++) {
    x ^= x << 13
    x ^= x >>> 17
    x ^= x << 5
    out[i] = x & 0xff
  }
  return out
}

/** The error `fn` throws, which must be an instance of `type` (anything else fails the test). */
export function thrown<E extends Error>(type: new (...args: never[]) => E, fn: () => unknown): E {
  try {
    fn()
  } catch (error) {
    if (error instanceof type) return error
    throw error
  }
  throw new Error(`expected ${type.name} to be thrown`)
}
