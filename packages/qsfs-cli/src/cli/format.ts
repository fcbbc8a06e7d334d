/**
 * Text output of `qsfs status`, `check` and `repair`.
 * @module
 */
import type { CheckReport, RepairReport } from '../check.js'
import { formatSize } from '../config/sizes.js'
import type { NodeStatus } from '../status/types.js'

function ago(ms: number | null, now = Date.now()): string {
  if (ms === null) return 'never'
  const s = Math.round((now - ms) / 1000)
  return s < 120 ? `${s} s ago` : s < 7200 ? `${Math.round(s / 60)} min ago` : `${Math.round(s / 3600)} h ago`
}

export function formatStatus(s: NodeStatus, running: boolean): string {
  const lines = [
    `node      ${s.dir} (${running ? `up since ${new Date(s.startedAt).toISOString()}` : 'not running'})`,
    `mount     ${s.mountpoint} (${s.mounted ? 'mounted' : 'not mounted'})`,
    `uploads   ${s.queue.depth} queued, ${s.queue.running} running, ${s.queue.failing} failing; last upload ${ago(s.lastUpload)}`,
  ]
  if (s.queue.lastError) lines.push(`          last error: ${s.queue.lastError}`)
  lines.push(
    `cache     ${formatSize(s.cache.usedBytes)} of ${formatSize(s.cache.limitBytes)} in ${s.cache.localSegments} segments; ${s.cache.evictedSegments} evicted, ${s.cache.fetches} fetched back`,
    `loss      ${s.lossWindowSeconds} s of writes not uploaded yet (bound ${s.lossWindowLimit} s)`,
    'backends',
  )
  for (const b of s.backends) {
    const space = b.freeBytes === null ? '' : ` ${formatSize(b.freeBytes)} free`
    lines.push(
      `  ${b.role.padEnd(5)} ${b.address} ${b.namespace}: ${b.state}${space}${b.reason ? ` (${b.reason})` : ''}`,
    )
  }
  return lines.join('\n')
}

export function formatCheck(report: CheckReport): string {
  const lines = report.files
    .filter((f) => f.state !== 'healthy')
    .map((f) => `${f.state.padEnd(8)} ${f.path}${f.detail ? `: ${f.detail}` : ''}`)
  const c = report.counts
  lines.push(
    `${report.files.length} files${report.deep ? ' (every shard verified)' : ''}: ${c.healthy} healthy, ${c.degraded} degraded, ${c.pending} pending upload, ${c.lost} lost`,
  )
  return lines.join('\n')
}

export function formatRepair(report: RepairReport): string {
  const lines = [
    ...report.repaired.map((r) => `repaired ${r.path}: ${r.shards} shards rebuilt`),
    ...report.failed.map((f) => `FAILED   ${f.path}: ${f.error}`),
  ]
  lines.push(
    `${report.repaired.length} files repaired, ${report.failed.length} failed`,
    formatCheck(report.after),
  )
  return lines.join('\n')
}
