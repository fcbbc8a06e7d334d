/**
 * Namespace properties persisted in the `zdb-namespace` descriptor (spec zdb.md §2).
 * @module
 */
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import {
  DESCRIPTOR_FILE,
  decodeNamespaceDescriptor,
  encodeNamespaceDescriptor,
} from './format/namespace-descriptor.js'

export interface NamespaceSettings {
  /** Empty when no password is set. */
  password: string
  public: boolean
  worm: boolean
  /** Bytes of payload allowed; 0 means unlimited. */
  maxsize: number
}

/** New namespaces: public, no password, no worm, no size limit (spec §1, "Admin and defaults"). */
export const DEFAULT_SETTINGS: NamespaceSettings = { password: '', public: true, worm: false, maxsize: 0 }

export function readOrCreateSettings(indexDir: string, name: string): NamespaceSettings {
  const path = join(indexDir, DESCRIPTOR_FILE)
  if (!existsSync(path)) {
    writeSettings(indexDir, name, DEFAULT_SETTINGS)
    return { ...DEFAULT_SETTINGS }
  }
  const d = decodeNamespaceDescriptor(readFileSync(path), path)
  return { password: d.password, public: d.public, worm: d.worm, maxsize: Number(d.maxsize) }
}

/** Replaces the descriptor atomically (write to a temporary file, then rename). */
export function writeSettings(indexDir: string, name: string, settings: NamespaceSettings): void {
  const path = join(indexDir, DESCRIPTOR_FILE)
  const bytes = encodeNamespaceDescriptor({ name, ...settings, maxsize: BigInt(settings.maxsize) })
  writeFileSync(`${path}.tmp`, bytes)
  renameSync(`${path}.tmp`, path)
}
