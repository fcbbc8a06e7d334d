/** NSSET (spec §1 "NSSET properties") and what the properties enforce: worm, lock, freeze, maxsize. */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { decodeNamespaceDescriptor } from '../src/format/namespace-descriptor.js'
import type { ZdbServerOptions } from '../src/index.js'
import { errorText, type TestClient, text } from './helpers/client.js'
import { serverFixture } from './helpers/fixture.js'

const f = serverFixture()

/** A server and a client attached to a fresh namespace `ns`. */
async function start(options: Partial<ZdbServerOptions> = {}): Promise<TestClient> {
  await f.start(options)
  const c = await connect()
  expect(await c.call('NSNEW', 'ns')).toBe('OK')
  return c
}

const connect = (): Promise<TestClient> => f.connect()

const descriptor = (ns: string) => {
  const path = join(f.dirs.indexDir, ns, 'zdb-namespace')
  return decodeNamespaceDescriptor(readFileSync(path), path)
}

describe('NSSET', () => {
  it('maxsize, password, public and worm are written to the descriptor', async () => {
    const c = await start()
    expect(await c.call('NSSET', 'ns', 'maxsize', '4096')).toBe('OK')
    expect(await c.call('NSSET', 'ns', 'password', 'pw')).toBe('OK')
    expect(await c.call('NSSET', 'ns', 'public', '0')).toBe('OK')
    expect(await c.call('NSSET', 'ns', 'worm', '1')).toBe('OK')
    expect(descriptor('ns')).toEqual({
      name: 'ns',
      password: 'pw',
      maxsize: 4096n,
      public: false,
      worm: true,
    })
    expect(await c.call('NSSET', 'ns', 'password', '*')).toBe('OK')
    expect(descriptor('ns').password).toBe('')
  })

  it('settings survive a restart', async () => {
    const c = await start()
    await c.call('NSSET', 'ns', 'worm', '1')
    await c.call('NSSET', 'ns', 'maxsize', '10')
    await f.stop()
    await f.start()
    const d = await connect()
    const info = text(await d.call('NSINFO', 'ns'))
    expect(info).toContain('worm: yes')
    expect(info).toContain('data_limits_bytes: 10')
  })

  it('a flag is true only if its value starts with 1', async () => {
    const c = await start()
    for (const [value, expected] of [
      ['1', true],
      ['10', true],
      ['yes', false],
      ['true', false],
      ['0', false],
    ] as const) {
      expect(await c.call('NSSET', 'ns', 'worm', value)).toBe('OK')
      expect(descriptor('ns').worm, value).toBe(expected)
    }
  })

  it('errors: arguments, lengths, unknown namespace and property', async () => {
    const c = await start()
    expect(errorText(await c.call('NSSET', 'ns', 'worm'))).toBe('Unexpected arguments')
    expect(errorText(await c.call('NSSET', 'ns', 'worm', ''))).toBe('Invalid argument')
    expect(errorText(await c.call('NSSET', 'x'.repeat(129), 'worm', '1'))).toBe('Namespace too long')
    expect(errorText(await c.call('NSSET', 'ns', 'p'.repeat(257), '1'))).toBe('Argument too long')
    expect(errorText(await c.call('NSSET', 'ns', 'password', 'v'.repeat(64)))).toBe('Argument too long')
    expect(await c.call('NSSET', 'ns', 'password', 'v'.repeat(63))).toBe('OK')
    expect(errorText(await c.call('NSSET', 'nope', 'worm', '1'))).toBe('Namespace not found')
    expect(errorText(await c.call('NSSET', 'ns', 'WORM', '1'))).toBe('Invalid property')
  })

  it('default accepts only mode, lock and freeze', async () => {
    const c = await start()
    for (const prop of ['maxsize', 'password', 'public', 'worm', 'bogus']) {
      expect(errorText(await c.call('NSSET', 'default', prop, '1')), prop).toBe(
        'Cannot update default namespace',
      )
    }
    expect(await c.call('NSSET', 'default', 'lock', '1')).toBe('OK')
    expect(await c.call('NSSET', 'default', 'freeze', '0')).toBe('OK')
    expect(await c.call('NSSET', 'default', 'mode', 'seq')).toBe('OK')
  })

  it('mode switches a fresh namespace, and the new mode is in i0 and survives a restart', async () => {
    const c = await start()
    expect(await c.call('NSSET', 'ns', 'mode', 'seq')).toBe('OK')
    expect(readFileSync(join(f.dirs.indexDir, 'ns', 'i0'))[28]).toBe(1)
    await c.call('SELECT', 'ns')
    const id = await c.call('SET', '', 'v')
    expect(id).toEqual(Buffer.alloc(8))
    await f.stop()
    await f.start()
    const d = await connect()
    expect(text(await d.call('NSINFO', 'ns'))).toContain('mode: sequential')
  })

  it('mode errors: used namespace, bad value, single-mode server', async () => {
    const c = await start()
    expect(errorText(await c.call('NSSET', 'ns', 'mode', 'direct'))).toBe(
      'Invalid property value (expected: user, seq)',
    )
    await c.call('SELECT', 'ns')
    await c.call('SET', 'k', 'v')
    await c.call('DEL', 'k')
    expect(errorText(await c.call('NSSET', 'ns', 'mode', 'seq'))).toBe('Cannot change mode of used namespace')
    await f.stop()
    await f.start({ mode: 'user' })
    const d = await connect()
    expect(await d.call('NSNEW', 'fresh')).toBe('OK')
    expect(errorText(await d.call('NSSET', 'fresh', 'mode', 'seq'))).toBe(
      'This server instance is configured to use a single runtime mode',
    )
  })
})

describe('enforcement', () => {
  it('worm: a new key is written, an overwrite and a DEL are refused; a missing key is still "not found"', async () => {
    const c = await start()
    await c.call('NSSET', 'ns', 'worm', '1')
    await c.call('SELECT', 'ns')
    expect(text(await c.call('SET', 'k', 'v'))).toBe('k')
    expect(errorText(await c.call('SET', 'k', 'w'))).toBe('Namespace is protected by worm mode')
    expect(errorText(await c.call('DEL', 'k'))).toBe('Cannot delete a key when namespace is in worm mode')
    expect(errorText(await c.call('DEL', 'missing'))).toBe('Key not found')
    expect(text(await c.call('GET', 'k'))).toBe('v')
  })

  it('lock: reads work, writes are refused, NSINFO says locked; lock 0 unlocks', async () => {
    const c = await start()
    await c.call('SELECT', 'ns')
    await c.call('SET', 'k', 'v')
    expect(await c.call('NSSET', 'ns', 'lock', '1')).toBe('OK')
    expect(text(await c.call('GET', 'k'))).toBe('v')
    expect(errorText(await c.call('SET', 'k', 'w'))).toBe('Namespace is temporarily locked (read-only)')
    expect(errorText(await c.call('DEL', 'k'))).toBe('Namespace is temporarily locked (read-only)')
    expect(text(await c.call('NSINFO', 'ns'))).toContain('locked: yes')
    expect(await c.call('NSSET', 'ns', 'lock', '0')).toBe('OK')
    expect(text(await c.call('SET', 'k', 'w'))).toBe('k')
    expect(text(await c.call('NSINFO', 'ns'))).toContain('locked: no')
  })

  it('freeze: every data command on the namespace is refused; freeze 0 and lock 0 both lift it', async () => {
    const c = await start()
    await c.call('SELECT', 'ns')
    await c.call('SET', 'k', 'v')
    const frozen = 'Namespace is temporarily frozen (read-write disabled)'
    for (const release of ['freeze', 'lock']) {
      expect(await c.call('NSSET', 'ns', 'freeze', '1')).toBe('OK')
      for (const cmd of [
        ['SET', 'k', 'w'],
        ['GET', 'k'],
        ['MGET', 'k'],
        ['DEL', 'k'],
        ['EXISTS', 'k'],
        ['CHECK', 'k'],
        ['LENGTH', 'k'],
        ['KEYTIME', 'k'],
        ['SCAN'],
        ['RSCAN'],
        ['KEYCUR', 'k'],
        ['HISTORY', 'k'],
      ]) {
        expect(errorText(await c.call(...cmd)), cmd.join(' ')).toBe(frozen)
      }
      expect(text(await c.call('NSINFO', 'ns'))).toContain('locked: yes')
      expect(await c.call('NSSET', 'ns', release, '0')).toBe('OK')
      expect(text(await c.call('GET', 'k'))).toBe('v')
    }
  })

  it('lock and freeze are not persisted', async () => {
    const c = await start()
    await c.call('NSSET', 'ns', 'freeze', '1')
    await f.stop()
    await f.start()
    const d = await connect()
    await d.call('SELECT', 'ns')
    expect(text(await d.call('SET', 'k', 'v'))).toBe('k')
  })

  it('maxsize: used + new may not exceed maxsize + the old length of the key being replaced', async () => {
    const c = await start()
    await c.call('NSSET', 'ns', 'maxsize', '10')
    await c.call('SELECT', 'ns')
    expect(text(await c.call('SET', 'a', '123456'))).toBe('a')
    expect(errorText(await c.call('SET', 'b', '12345'))).toBe('No space left on this namespace')
    expect(text(await c.call('SET', 'b', '1234'))).toBe('b')
    // 10 used: replacing a (6) with 6 bytes fits exactly, with 7 does not.
    expect(text(await c.call('SET', 'a', 'abcdef'))).toBe('a')
    expect(errorText(await c.call('SET', 'a', 'abcdefg'))).toBe('No space left on this namespace')
    expect(text(await c.call('NSINFO', 'ns'))).toContain('space_available: 0')
  })

  it('--maxsize limits the default namespace without writing its descriptor', async () => {
    await f.start({ maxsize: 4 })
    const c = await connect()
    expect(errorText(await c.call('SET', 'k', '12345'))).toBe('No space left on this namespace')
    expect(text(await c.call('SET', 'k', '1234'))).toBe('k')
    expect(descriptor('default').maxsize).toBe(0n)
  })
})
