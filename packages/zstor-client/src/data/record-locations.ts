/**
 * Where the shards of a stored record are, whoever stored it: this client's records list them
 * per object; upstream 0-stor's list them per shard, with keys of its own form.
 * @module
 */
import type { ShardLocation, UpstreamKey, UpstreamMetadata } from '@qsfs/zstor-codec'
import type { StoredRecord } from '../meta/file-record.js'

/** An upstream key as the bytes zdb returned for it: 4 bytes from 0-db v1, 8 from v2. */
export function upstreamKeyBytes(key: UpstreamKey): Buffer {
  const out = Buffer.alloc(key.version === 1 ? 4 : 8)
  if (key.version === 1) out.writeUInt32LE(key.value)
  else out.writeBigUInt64LE(key.value)
  return out
}

export function upstreamLocations(meta: UpstreamMetadata): ShardLocation[] {
  return meta.shards.map((info) => ({
    address: { kind: 'tcp', host: info.ci.address.ip, port: info.ci.address.port },
    namespace: info.ci.namespace,
    keys: info.keys.map(upstreamKeyBytes),
  }))
}

export function recordLocations(record: StoredRecord): ShardLocation[] {
  return record.kind === 'qsfs' ? record.objects.flatMap((o) => o.locations) : upstreamLocations(record.meta)
}
