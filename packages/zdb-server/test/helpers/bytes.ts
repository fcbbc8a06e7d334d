/** Little-endian byte builders for writing spec §2 layouts by hand in tests. */
export const u8 = (n: number): Buffer => Buffer.of(n)
export const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(n)
  return b
}
export const u64 = (n: bigint): Buffer => {
  const b = Buffer.alloc(8)
  b.writeBigUInt64LE(n)
  return b
}
export const ascii = (s: string): Buffer => Buffer.from(s, 'latin1')
export const cat = (...parts: Buffer[]): Buffer => Buffer.concat(parts)

/** Index header per spec §2: "IDX0", u32 4, u64 0, u64 0, u32 fileid, u8 mode. */
export const specIndexHeader = (fileId: number, mode = 0): Buffer =>
  cat(ascii('IDX0'), u32(4), u64(0n), u64(0n), u32(fileId), u8(mode))

/** Data header per spec §2: "DAT0", u32 3, u64 0, u64 0, u32 fileid. */
export const specDataHeader = (fileId: number): Buffer =>
  cat(ascii('DAT0'), u32(3), u64(0n), u64(0n), u32(fileId))

/** Index entry per spec §2, field by field. */
export const specIndexEntry = (e: {
  key: string
  offset: number
  length: number
  previous: number
  flags: number
  dataId: number
  timestamp: number
  crc: number
  parentId: number
  parentOff: number
}): Buffer =>
  cat(
    u8(e.key.length),
    u32(e.offset),
    u32(e.length),
    u32(e.previous),
    u8(e.flags),
    u32(e.dataId),
    u32(e.timestamp),
    u32(e.crc),
    u32(e.parentId),
    u32(e.parentOff),
    ascii(e.key),
  )

/** Data entry per spec §2, field by field. */
export const specDataEntry = (e: {
  key: string
  payload: string
  previous: number
  crc: number
  flags: number
  timestamp: number
}): Buffer =>
  cat(
    u8(e.key.length),
    u32(e.payload.length),
    u32(e.previous),
    u32(e.crc),
    u8(e.flags),
    u32(e.timestamp),
    ascii(e.key),
    ascii(e.payload),
  )
