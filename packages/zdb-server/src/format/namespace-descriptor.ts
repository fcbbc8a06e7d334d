/**
 * The `zdb-namespace` descriptor in `<index>/<ns>/` (spec zdb.md §2):
 * `u32 1, u8 namelen, u8 passlen, u64 maxsize, u8 flags`, then the name, then the password
 * in plaintext. Flags: 1 public, 2 worm, 4 extended (always set by v2).
 * @module
 */
import { ZdbFormatError } from '../errors.js'

export const DESCRIPTOR_FILE = 'zdb-namespace'
export const DESCRIPTOR_VERSION = 1
export const DESCRIPTOR_FIXED_SIZE = 15
export const NS_FLAG_PUBLIC = 1
export const NS_FLAG_WORM = 2
export const NS_FLAG_EXTENDED = 4

export interface NamespaceDescriptor {
  name: string
  /** Empty string when the namespace has no password. */
  password: string
  /** 0 means unlimited. */
  maxsize: bigint
  public: boolean
  worm: boolean
}

export function encodeNamespaceDescriptor(d: NamespaceDescriptor): Buffer {
  const name = Buffer.from(d.name, 'latin1')
  const password = Buffer.from(d.password, 'latin1')
  if (name.length > 255 || password.length > 255) {
    throw new RangeError('namespace name and password must be at most 255 bytes')
  }
  const buf = Buffer.alloc(DESCRIPTOR_FIXED_SIZE + name.length + password.length)
  buf.writeUInt32LE(DESCRIPTOR_VERSION, 0)
  buf.writeUInt8(name.length, 4)
  buf.writeUInt8(password.length, 5)
  buf.writeBigUInt64LE(d.maxsize, 6)
  buf.writeUInt8((d.public ? NS_FLAG_PUBLIC : 0) | (d.worm ? NS_FLAG_WORM : 0) | NS_FLAG_EXTENDED, 14)
  name.copy(buf, DESCRIPTOR_FIXED_SIZE)
  password.copy(buf, DESCRIPTOR_FIXED_SIZE + name.length)
  return buf
}

export function decodeNamespaceDescriptor(buf: Buffer, where: string): NamespaceDescriptor {
  if (buf.length < DESCRIPTOR_FIXED_SIZE) {
    throw new ZdbFormatError(
      `${where}: descriptor is ${buf.length} bytes, expected at least ${DESCRIPTOR_FIXED_SIZE}`,
    )
  }
  const version = buf.readUInt32LE(0)
  if (version !== DESCRIPTOR_VERSION) {
    throw new ZdbFormatError(`${where}: descriptor version ${version} is not supported (expected 1)`)
  }
  const nameLength = buf.readUInt8(4)
  const passLength = buf.readUInt8(5)
  if (buf.length < DESCRIPTOR_FIXED_SIZE + nameLength + passLength) {
    throw new ZdbFormatError(`${where}: descriptor is truncated`)
  }
  const flags = buf.readUInt8(14)
  const nameEnd = DESCRIPTOR_FIXED_SIZE + nameLength
  return {
    name: buf.toString('latin1', DESCRIPTOR_FIXED_SIZE, nameEnd),
    password: buf.toString('latin1', nameEnd, nameEnd + passLength),
    maxsize: buf.readBigUInt64LE(6),
    public: (flags & NS_FLAG_PUBLIC) !== 0,
    worm: (flags & NS_FLAG_WORM) !== 0,
  }
}
