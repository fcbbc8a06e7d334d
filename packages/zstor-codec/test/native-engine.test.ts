import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'
import type { RonomonAddon } from '../src/ronomon-rs.js'

const require = createRequire(import.meta.url)

function encode(
  rs: RonomonAddon,
  ctx: Buffer,
  sources: number,
  targets: number,
  data: Buffer,
  parity: Buffer,
) {
  return new Promise<void>((resolve, reject) =>
    rs.encode(ctx, sources, targets, data, 0, data.length, parity, 0, parity.length, (e) =>
      e ? reject(e) : resolve(),
    ),
  )
}

describe('the native @ronomon/reed-solomon addon built at install', () => {
  it('loads and reports its limits', () => {
    const rs = require('@ronomon/reed-solomon') as RonomonAddon
    expect([rs.MAX_K, rs.MAX_M]).toEqual([24, 6])
  })

  it('rebuilds two lost data shards of a k=4, m=2 stripe', async () => {
    const rs = require('@ronomon/reed-solomon') as RonomonAddon
    const k = 4
    const m = 2
    const shard = 64
    const ctx = rs.create(k, m)
    const data = Buffer.alloc(shard * k)
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) & 0xff
    const original = Buffer.from(data)
    const parity = Buffer.alloc(shard * m)
    const all = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => 1 << (from + i))
    await encode(
      rs,
      ctx,
      all(0, k).reduce((a, b) => a | b),
      all(k, k + m).reduce((a, b) => a | b),
      data,
      parity,
    )
    expect(parity.some((b) => b !== 0)).toBe(true)

    data.fill(0, 0, shard) // lose data shard 0
    data.fill(0, 2 * shard, 3 * shard) // and data shard 2
    const targets = (1 << 0) | (1 << 2)
    const sources = (1 << 1) | (1 << 3) | (1 << k) | (1 << (k + 1))
    await encode(rs, ctx, sources, targets, data, parity)
    expect(data.equals(original)).toBe(true)
  })
})
