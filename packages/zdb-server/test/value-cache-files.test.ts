/**
 * The value cache inside a namespace's files (file-reads.ts, file-writes.ts), where a server
 * cannot reach: the group commit's pending appends, and a turn whose write the disk refused.
 */
import type * as fs from 'node:fs'
import { describe, expect, it, vi } from 'vitest'
import { ValueCache } from '../src/value-cache.js'
import { WriteBatch } from '../src/write-batch.js'
import { namespaceFixture } from './helpers/namespace-fixture.js'

/** While `on`, every positional write fails as on a full disk. */
const failWrites = vi.hoisted(() => ({ on: false }))
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>()
  const refuse = (): never => {
    throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' })
  }
  return {
    ...real,
    writeSync: (...args: Parameters<typeof real.writeSync>) =>
      failWrites.on ? refuse() : real.writeSync(...args),
    writevSync: (...args: Parameters<typeof real.writevSync>) =>
      failWrites.on ? refuse() : real.writevSync(...args),
  }
})

const fx = namespaceFixture(1_700_000_000)
const k = Buffer.from('k')

describe('the value cache in a namespace', () => {
  it('shows a value still pending in the group commit only once it is written to the file', () => {
    const batch = new WriteBatch()
    const ns = fx.open({ batch, cache: new ValueCache(1024 * 1024) })
    batch.enter()
    ns.set(k, Buffer.from('pending-value'))
    expect(fx.read('d', 0).includes('pending-value')).toBe(false)
    expect(ns.peek(ns.get(k)!).toString()).toBe('pending-value')
    expect(fx.read('d', 0).includes('pending-value')).toBe(true)
    batch.commit()
  })

  it('after a turn the disk refused, a value written at the same offset reads back as itself', () => {
    const batch = new WriteBatch()
    const cache = new ValueCache(1024 * 1024)
    const ns = fx.open({ batch, cache })
    batch.enter()
    ns.set(k, Buffer.from('refused'))
    expect(cache.stats().entries).toBe(1)
    failWrites.on = true
    try {
      batch.commit()
    } finally {
      failWrites.on = false
    }
    expect(ns.get(k)).toBeUndefined()
    expect(cache.stats().entries).toBe(0)
    // Not deferred now: written at once, where the refused entry was to go.
    ns.set(Buffer.from('j'), Buffer.from('written'))
    expect(ns.peek(ns.get(Buffer.from('j'))!).toString()).toBe('written')
    expect(fx.read('d', 0).includes('refused')).toBe(false)
  })

  it('drops the namespace’s entries when its files are closed', () => {
    const cache = new ValueCache(1024 * 1024)
    const ns = fx.open({ cache })
    ns.set(k, Buffer.from('v'))
    expect(cache.stats().entries).toBe(1)
    ns.close()
    expect(cache.stats().entries).toBe(0)
  })
})
