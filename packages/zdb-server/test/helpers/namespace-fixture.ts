/**
 * One test's namespace on fresh temp directories, at a fixed clock: the storage engine without
 * a server. Every namespace opened is closed and the directories removed after the test.
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, beforeEach } from 'vitest'
import { silentLogger, type ZdbLogger } from '../../src/logger.js'
import { Namespace, type NamespaceOptions } from '../../src/namespace.js'
import { createStats } from '../../src/stats.js'
import { type TempDirs, tempDirs } from './server.js'

export interface NamespaceFixture {
  readonly dirs: TempDirs
  /** Opens `default` (again) on the fixture's directories. */
  open(extra?: Partial<NamespaceOptions>): Namespace
  /** Path of `i<id>` or `d<id>` of `default`. */
  file(kind: 'i' | 'd', id: number): string
  /** Bytes of `i<id>` or `d<id>` of `default`. */
  read(kind: 'i' | 'd', id: number): Buffer
}

export function namespaceFixture(now: number, logger: ZdbLogger = silentLogger): NamespaceFixture {
  let dirs: TempDirs | undefined
  const opened: Namespace[] = []
  const fixture: NamespaceFixture = {
    get dirs() {
      if (!dirs) throw new Error('the fixture is used outside a test')
      return dirs
    },
    open(extra = {}) {
      const ns = Namespace.open({
        name: 'default',
        indexRoot: fixture.dirs.indexDir,
        dataRoot: fixture.dirs.dataDir,
        datasize: 256 * 1024 * 1024,
        now: () => now,
        logger,
        stats: createStats(now),
        ...extra,
      })
      opened.push(ns)
      return ns
    },
    file: (kind, id) =>
      join(kind === 'i' ? fixture.dirs.indexDir : fixture.dirs.dataDir, 'default', `${kind}${id}`),
    read: (kind, id) => readFileSync(fixture.file(kind, id)),
  }
  beforeEach(() => {
    dirs = tempDirs()
  })
  afterEach(() => {
    for (const ns of opened.splice(0)) ns.close()
    dirs?.remove()
    dirs = undefined
  })
  return fixture
}
