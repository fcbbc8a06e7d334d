/**
 * Key 0 of each 0-db-fs namespace (spec zdbfs-and-glue.md §1 "Serialization"): a 24-byte packed
 * little-endian header `{magic[6], u16 version, u16 flags, 6 bytes padding, u64 size}`.
 * @module
 */
import { ZdbfsFormatError } from './errors.js'

/** Byte length of a namespace header. */
export const NAMESPACE_HEADER_LENGTH = 24

/** The only header version upstream writes and this code reads. */
export const FORMAT_VERSION = 1

/**
 * Header flag set while a volume is mounted. Upstream never sets it, only clears it at unmount;
 * we set it at mount so that a volume left by a killed process can be told from a clean one.
 */
export const FLAG_IN_USE = 1

/** The three namespaces and their magic strings. */
export const NAMESPACE_MAGIC = {
  meta: 'ZDBFSM',
  data: 'ZDBFSD',
  temp: 'ZDBFST',
} as const

export type NamespaceRole = keyof typeof NAMESPACE_MAGIC

export interface NamespaceHeader {
  readonly magic: string
  readonly version: number
  readonly flags: number
  /** File system size in bytes (upstream's `size=` option), reported by statfs. */
  readonly size: number
}

/** The 24 bytes of key 0. Padding bytes are written as zero. */
export function encodeNamespaceHeader(header: NamespaceHeader): Buffer {
  if (Buffer.byteLength(header.magic, 'latin1') !== 6) {
    throw new ZdbfsFormatError(`header magic must be 6 bytes, got '${header.magic}'`)
  }
  const out = Buffer.alloc(NAMESPACE_HEADER_LENGTH)
  out.write(header.magic, 0, 'latin1')
  out.writeUInt16LE(header.version, 6)
  out.writeUInt16LE(header.flags, 8)
  out.writeBigUInt64LE(BigInt(header.size), 16)
  return out
}

/** Reads key 0; throws {@link ZdbfsFormatError} when it is too short. Padding is ignored. */
export function decodeNamespaceHeader(bytes: Uint8Array): NamespaceHeader {
  if (bytes.byteLength < NAMESPACE_HEADER_LENGTH) {
    throw new ZdbfsFormatError(
      `namespace header must be ${NAMESPACE_HEADER_LENGTH} bytes, got ${bytes.byteLength}: key 0 is not a 0-db-fs header`,
    )
  }
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return {
    magic: b.toString('latin1', 0, 6),
    version: b.readUInt16LE(6),
    flags: b.readUInt16LE(8),
    size: Number(b.readBigUInt64LE(16)),
  }
}

/**
 * Checks that key 0 is the header of `role`'s namespace in a version we read; throws
 * {@link ZdbfsFormatError} naming the namespace otherwise.
 */
export function checkNamespaceHeader(role: NamespaceRole, header: NamespaceHeader, namespace: string): void {
  const magic = NAMESPACE_MAGIC[role]
  if (header.magic !== magic) {
    throw new ZdbfsFormatError(
      `key 0 of namespace '${namespace}' has magic '${header.magic}', expected '${magic}': it is not a 0-db-fs ${role} namespace; point the ${role} options at the right namespace`,
    )
  }
  if (header.version !== FORMAT_VERSION) {
    throw new ZdbfsFormatError(
      `namespace '${namespace}' is format version ${header.version}, this code reads version ${FORMAT_VERSION}`,
    )
  }
}
