/** Byte helpers for the on-disk formats (everything is little-endian, spec zdb.md §2). */

/**
 * Little-endian u32 at `offset`, with plain byte stores: entries are encoded once per write,
 * and `writeUInt32LE`'s range checks cost more than the rest of the encoding. Callers pass
 * values that fit (file offsets stay below `datasize` < 2^32).
 */
export function putU32(buf: Buffer, offset: number, value: number): void {
  buf[offset] = value
  buf[offset + 1] = value >>> 8
  buf[offset + 2] = value >>> 16
  buf[offset + 3] = value >>> 24
}
