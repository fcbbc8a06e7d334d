import { Redis } from 'ioredis'
import type { TestBackend } from './cluster.js'

/** Live entries across `backends` (NSINFO `entries` of each namespace). */
export async function countEntries(backends: readonly TestBackend[]): Promise<number> {
  let total = 0
  for (const b of backends) {
    const redis = new Redis({
      host: '127.0.0.1',
      port: b.port,
      lazyConnect: true,
      enableReadyCheck: false,
      protocol: 2,
    })
    await redis.connect()
    try {
      const info = (await redis.call('NSINFO', b.namespace)) as string
      total += Number(/^entries: (\d+)$/m.exec(info)?.[1] ?? 'NaN')
    } finally {
      redis.disconnect()
    }
  }
  return total
}
