/**
 * What a node keeps on its backends, counted from both ends: the file records in the metadata
 * (one per stored file, each listing its objects) and the live entries of every backend's data
 * namespace (NSINFO `entries`).
 *
 * With the config `qsfs init` writes, an object is `k × (2 MiB − 4 KiB)` bytes of input, so each
 * of its `k + m` shards fits one 2 MiB zdb entry, even for incompressible data: one stored copy
 * of everything needs exactly `objects × (k + m)` entries. Replaced records (a newer snapshot of
 * the open segment) have their objects deleted by the store that replaces them.
 */
import { realpathSync } from 'node:fs'
import { join } from 'node:path'
import { createZstorClient, loadConfig } from '@qsfs/zstor-client'
import type { Backend } from './backend.js'
import type { CheckJson } from './node.js'

export interface StoredObjects {
  /** Metadata keys under the node's prefix. */
  readonly keys: readonly string[]
  /** Keys of the files `qsfs check` expects (descriptor, index and data files). */
  readonly expectedKeys: readonly string[]
  /** Objects of all stored records. */
  readonly objects: number
  /** The most objects one record has. */
  readonly maxObjects: number
  /** k + m. */
  readonly shardsPerObject: number
  /** Entries one copy of everything needs. */
  readonly entriesNeeded: number
}

export async function storedObjects(nodeDir: string, check: CheckJson): Promise<StoredObjects> {
  const dir = realpathSync(nodeDir)
  const config = await loadConfig(join(dir, 'zstor.toml'))
  const client = createZstorClient({ config: { ...config, root: join(dir, 'zdb') } })
  try {
    const keys = (await client.keys()).sort()
    let objects = 0
    let maxObjects = 0
    for (const key of keys) {
      const result = await client.checkKey(key)
      if (!result.found) throw new Error(`metadata key ${key} is listed but has no record`)
      objects += result.objects
      maxObjects = Math.max(maxObjects, result.objects)
    }
    const expectedKeys = check.files.map((f) => client.keyOf(join(dir, 'zdb', f.path))).sort()
    const shardsPerObject = config.expectedShards
    return {
      keys,
      expectedKeys,
      objects,
      maxObjects,
      shardsPerObject,
      entriesNeeded: objects * shardsPerObject,
    }
  } finally {
    await client.close()
  }
}

/** Live data entries per backend, and their sum. */
export async function dataEntries(backends: readonly Backend[]): Promise<{ per: number[]; total: number }> {
  const per = await Promise.all(backends.map((b) => b.dataEntries()))
  return { per, total: per.reduce((a, b) => a + b, 0) }
}
