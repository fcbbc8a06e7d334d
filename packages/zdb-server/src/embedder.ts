/**
 * What an embedding program (e.g. `qsfs up`) sees of the namespaces' files, to upload closed
 * files and evict old data files itself: the methods behind {@link ZdbServer.namespaceFiles},
 * `clearDirty` and `releaseDataFile`.
 * @module
 */
import { basename, dirname, resolve } from 'node:path'
import type { Namespaces } from './namespaces.js'

/** The files of one open namespace. */
export interface NamespaceFilesView {
  readonly name: string
  /** Directory of its `i<N>` files (absolute). */
  readonly indexDir: string
  /** Directory of its `d<N>` files (absolute). */
  readonly dataDir: string
  /** Id of the current `i<N>` / `d<N>`, the pair being appended to. */
  readonly fileId: number
  /** INDEX DIRTY: ids of index files edited in place since last cleared, ascending. */
  readonly dirty: readonly number[]
}

export function namespaceFiles(namespaces: Namespaces): NamespaceFilesView[] {
  return namespaces.names().map((name) => {
    const ns = namespaces.get(name)!
    return {
      name,
      indexDir: ns.indexDir,
      dataDir: ns.dataDir,
      fileId: ns.currentFileId,
      dirty: ns.dirtyIndexFiles(),
    }
  })
}

/** `d<N>` exactly as the server names it (plain decimal, no leading zero). */
const DATA_FILE = /^d(0|[1-9]\d*)$/

/** Drops the cached read descriptor of `path`; false if it is no closed data file of a namespace. */
export function releaseDataFile(namespaces: Namespaces, path: string): boolean {
  const absolute = resolve(path)
  const match = DATA_FILE.exec(basename(absolute))
  if (!match) return false
  const dir = dirname(absolute)
  for (const name of namespaces.names()) {
    const ns = namespaces.get(name)!
    if (ns.dataDir === dir) return ns.releaseDataFile(Number(match[1]))
  }
  return false
}
