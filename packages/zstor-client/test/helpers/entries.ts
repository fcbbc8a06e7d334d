import { withConnection } from './backend-client.js'
import type { TestBackend } from './cluster.js'

/** Live entries across `backends` (NSINFO `entries` of each namespace). */
export async function countEntries(backends: readonly TestBackend[]): Promise<number> {
  let total = 0
  for (const b of backends) {
    const info = (await withConnection(b.port, (redis) => redis.call('NSINFO', b.namespace))) as string
    total += Number(/^entries: (\d+)$/m.exec(info)?.[1] ?? 'NaN')
  }
  return total
}

/** The backends among `backends` that hold at least one entry. */
export async function holders(backends: readonly TestBackend[]): Promise<TestBackend[]> {
  const out: TestBackend[] = []
  for (const b of backends) if ((await countEntries([b])) > 0) out.push(b)
  return out
}
