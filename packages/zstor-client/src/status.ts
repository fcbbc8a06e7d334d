/**
 * `status` (spec zstor.md §4): every backend, meta and data, with whether it is reachable, its
 * state, objects, used and free space (free: the real figure, limit and disk both counted).
 * @module
 */
import type { BackendStatus } from './backend/health.js'
import { addressText } from './backend/locate.js'
import { allDataConfigs, type ClientContext } from './context.js'

export interface BackendReport extends BackendStatus {
  readonly role: 'meta' | 'data'
  /** `host:port`, `[v6]:port` or `unix:/path`. */
  readonly address: string
  /** The namespace, `default` when none is configured. */
  readonly namespace: string
  /** Used bytes as a percentage of used + free, as upstream's `usage percentage`. */
  readonly usagePercent: number | null
}

/** Probes every backend now (no cached results). */
export async function backendStatus(ctx: ClientContext): Promise<BackendReport[]> {
  const metaConfigs = ctx.config.meta.backends
  const dataConfigs = allDataConfigs(ctx.config)
  const [meta, data] = await Promise.all([
    ctx.pool.probe(metaConfigs, 'meta', 0),
    ctx.pool.probe(dataConfigs, 'data', 0),
  ])
  const report =
    (role: 'meta' | 'data') =>
    (s: BackendStatus, i: number): BackendReport => ({
      ...s,
      role,
      address: addressText((role === 'meta' ? metaConfigs : dataConfigs)[i]!.address),
      namespace: (role === 'meta' ? metaConfigs : dataConfigs)[i]!.namespace ?? 'default',
      usagePercent:
        s.usedBytes !== null && s.freeBytes !== null && s.usedBytes + s.freeBytes > 0
          ? Math.floor((s.usedBytes * 100) / (s.usedBytes + s.freeBytes))
          : null,
    })
  return [...meta.map(report('meta')), ...data.map(report('data'))]
}
