/**
 * The local zdb's files as the node sees them: `index/<ns>/i<N>`, `data/<ns>/d<N>` and
 * `index/<ns>/zdb-namespace` under the zdb root (zstor's `root`, so the relative path is also
 * the stored file's key).
 * @module
 */
import { readdirSync, statSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'

export const DESCRIPTOR = 'zdb-namespace'

export interface SegmentFile {
  readonly ns: string
  readonly kind: 'data' | 'index'
  readonly id: number
  readonly path: string
}

/** `d12` → 12, `i3` → 3, anything else null. */
export function fileNumber(name: string, prefix: 'd' | 'i'): number | null {
  if (!name.startsWith(prefix) || !/^\d+$/.test(name.slice(1))) return null
  return Number(name.slice(1))
}

export function dataFile(dataRoot: string, ns: string, id: number): string {
  return join(dataRoot, ns, `d${id}`)
}

export function indexFile(indexRoot: string, ns: string, id: number): string {
  return join(indexRoot, ns, `i${id}`)
}

/** Parses a data or index file path into its namespace and number. */
export function parseSegmentPath(path: string): SegmentFile | null {
  const name = basename(path)
  const ns = basename(dirname(path))
  const d = fileNumber(name, 'd')
  if (d !== null) return { ns, kind: 'data', id: d, path }
  const i = fileNumber(name, 'i')
  if (i !== null) return { ns, kind: 'index', id: i, path }
  return null
}

/** Every data file under `dataRoot`, with its size. */
export function listDataFiles(dataRoot: string): (SegmentFile & { size: number; mtimeMs: number })[] {
  const out: (SegmentFile & { size: number; mtimeMs: number })[] = []
  let namespaces: string[] = []
  try {
    namespaces = readdirSync(dataRoot)
  } catch {
    return out
  }
  for (const ns of namespaces) {
    let names: string[] = []
    try {
      names = readdirSync(join(dataRoot, ns))
    } catch {
      continue
    }
    for (const name of names) {
      const id = fileNumber(name, 'd')
      if (id === null) continue
      const path = join(dataRoot, ns, name)
      try {
        const info = statSync(path)
        out.push({ ns, kind: 'data', id, path, size: info.size, mtimeMs: info.mtimeMs })
      } catch {
        // Evicted between readdir and stat.
      }
    }
  }
  return out
}

export function keyOf(root: string, path: string): string {
  return relative(root, path)
}
