/** Access control (spec §1 AUTH, SELECT, "Admin and defaults"): --admin, AUTH, AUTH SECURE, --protect. */
import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import type { ZdbServerOptions } from '../src/index.js'
import { ZdbOptionError } from '../src/index.js'
import { errorText, type TestClient, text } from './helpers/client.js'
import { serverFixture } from './helpers/fixture.js'

const f = serverFixture()

async function start(options: Partial<ZdbServerOptions> = {}): Promise<void> {
  await f.start(options)
}

const connect = (): Promise<TestClient> => f.connect()

/** The answer to a challenge, computed independently of the server's code. */
const sha1 = (nonce: string, password: string): string =>
  createHash('sha1').update(`${nonce}:${password}`).digest('hex')

describe('without --admin', () => {
  it('every client is admin: admin commands and timestamped SET/DEL run', async () => {
    await start()
    const c = await connect()
    expect(await c.call('NSNEW', 'a')).toBe('OK')
    expect(text(await c.call('SET', 'k', 'v', '1234'))).toBe('k')
    expect(await c.call('KEYTIME', 'k')).toBe(1234)
    expect(await c.call('DEL', 'k', '99')).toBe('OK')
  })

  it('AUTH pwd replies -Authentication disabled, AUTH SECURE CHALLENGE still hands out a nonce', async () => {
    await start()
    const c = await connect()
    expect(errorText(await c.call('AUTH', 'x'))).toBe('Authentication disabled')
    expect(await c.call('AUTH', 'SECURE', 'CHALLENGE')).toMatch(/^[0-9a-f]{16}$/)
    expect(errorText(await c.call('AUTH', 'SECURE', 'a'.repeat(40)))).toBe('Authentication disabled')
  })
})

describe('with --admin', () => {
  const admin = 'hunter2'

  it('a new client is not admin: every admin command replies -Permission denied', async () => {
    await start({ admin })
    const c = await connect()
    const denied = [
      ['NSNEW', 'a'],
      ['NSDEL', 'a'],
      ['NSSET', 'a', 'worm', '1'],
      ['NSJUMP'],
      ['RELOAD', 'default'],
      ['HOOKS'],
      ['INDEX', 'DIRTY'],
      ['DATA', 'RAW', '0', '28'],
      ['MIRROR'],
      ['MASTER'],
      ['SET', 'k', 'v', '1234'],
      ['DEL', 'k', 'x'],
    ]
    for (const cmd of denied) expect(errorText(await c.call(...cmd)), cmd.join(' ')).toBe('Permission denied')
    const info = text(await c.call('INFO'))
    expect(info).toContain(`commands_unauthorized: ${denied.length}`)
  })

  it('DEL k x without admin rights is refused and the key stays (upstream deleted it)', async () => {
    await start({ admin })
    const c = await connect()
    expect(text(await c.call('SET', 'k', 'v'))).toBe('k')
    expect(errorText(await c.call('DEL', 'k', 'x'))).toBe('Permission denied')
    expect(text(await c.call('GET', 'k'))).toBe('v')
    expect(await c.call('DEL', 'k')).toBe('OK')
  })

  it('ordinary commands still work for a non-admin client', async () => {
    await start({ admin })
    const c = await connect()
    expect(text(await c.call('SET', 'k', 'v'))).toBe('k')
    expect(text(await c.call('GET', 'k'))).toBe('v')
    expect(await c.call('NSLIST')).toEqual([Buffer.from('default')])
  })

  it('AUTH with the right password grants admin rights to that connection only', async () => {
    await start({ admin })
    const c = await connect()
    const other = await connect()
    expect(errorText(await c.call('AUTH', 'wrong'))).toBe('Access denied')
    expect(errorText(await c.call('AUTH', 'x'.repeat(129)))).toBe('Password too long')
    expect(errorText(await c.call('AUTH', ''))).toBe('Invalid argument')
    expect(errorText(await c.call('AUTH'))).toBe('Unexpected arguments')
    expect(errorText(await c.call('AUTH', 'a', 'b', 'c'))).toBe('Unexpected arguments')
    expect(await c.call('AUTH', admin)).toBe('OK')
    expect(await c.call('NSNEW', 'a')).toBe('OK')
    expect(errorText(await other.call('NSNEW', 'b'))).toBe('Permission denied')
  })

  it('NSINFO shows the file paths to admins only', async () => {
    await start({ admin })
    const c = await connect()
    expect(text(await c.call('NSINFO', 'default'))).not.toContain('data_path:')
    await c.call('AUTH', admin)
    expect(text(await c.call('NSINFO', 'default'))).toContain('data_path:')
  })

  it('AUTH SECURE with sha1(nonce:pwd) grants admin and consumes the nonce', async () => {
    await start({ admin })
    const c = await connect()
    const nonce = (await c.call('AUTH', 'SECURE', 'CHALLENGE')) as string
    expect(nonce).toMatch(/^[0-9a-f]{16}$/)
    expect(await c.call('AUTH', 'SECURE', sha1(nonce, admin))).toBe('OK')
    expect(await c.call('NSNEW', 'a')).toBe('OK')
    expect(errorText(await c.call('AUTH', 'SECURE', sha1(nonce, admin)))).toBe(
      'No CHALLENGE requested, secure authentication not available',
    )
  })

  it('a wrong AUTH SECURE answer is denied and also consumes the nonce', async () => {
    await start({ admin })
    const c = await connect()
    const nonce = (await c.call('AUTH', 'SECURE', 'CHALLENGE')) as string
    expect(errorText(await c.call('AUTH', 'SECURE', sha1(nonce, 'wrong')))).toBe('Access denied')
    expect(errorText(await c.call('AUTH', 'SECURE', sha1(nonce, admin)))).toBe(
      'No CHALLENGE requested, secure authentication not available',
    )
    expect(errorText(await c.call('NSNEW', 'a'))).toBe('Permission denied')
  })

  it('AUTH SECURE compares the hex exactly: an uppercase answer is denied', async () => {
    await start({ admin })
    const c = await connect()
    const nonce = (await c.call('AUTH', 'SECURE', 'CHALLENGE')) as string
    expect(errorText(await c.call('AUTH', 'SECURE', sha1(nonce, admin).toUpperCase()))).toBe('Access denied')
  })

  it('AUTH SECURE errors: no challenge, bad hash length (nonce kept), other method', async () => {
    await start({ admin })
    const c = await connect()
    expect(errorText(await c.call('AUTH', 'SECURE', 'a'.repeat(40)))).toBe(
      'No CHALLENGE requested, secure authentication not available',
    )
    const nonce = (await c.call('AUTH', 'SECURE', 'CHALLENGE')) as string
    expect(errorText(await c.call('AUTH', 'SECURE', 'abc'))).toBe('Invalid hash length')
    expect(errorText(await c.call('AUTH', 'PLAIN', 'x'))).toBe('Only SECURE extra method supported')
    expect(await c.call('AUTH', 'secure', sha1(nonce, admin))).toBe('OK')
  })

  it('each connection gets its own nonce', async () => {
    await start({ admin })
    const a = await connect()
    const b = await connect()
    const na = (await a.call('AUTH', 'SECURE', 'CHALLENGE')) as string
    const nb = (await b.call('AUTH', 'SECURE', 'CHALLENGE')) as string
    expect(na).not.toBe(nb)
    expect(errorText(await b.call('AUTH', 'SECURE', sha1(na, admin)))).toBe('Access denied')
  })
})

describe('SELECT with passwords', () => {
  async function withNamespace(settings: string[][]): Promise<TestClient> {
    await start()
    const c = await connect()
    expect(await c.call('NSNEW', 'ns')).toBe('OK')
    for (const s of settings) expect(await c.call('NSSET', 'ns', ...s)).toBe('OK')
    return c
  }

  it('a namespace without password is read-write for everyone, even if private', async () => {
    const c = await withNamespace([['public', '0']])
    expect(await c.call('SELECT', 'ns', 'anything')).toBe('OK')
    expect(text(await c.call('SET', 'k', 'v'))).toBe('k')
  })

  it('public with a password: read-only without it, read-write with it', async () => {
    const c = await withNamespace([['password', 'pw']])
    expect(await c.call('SELECT', 'ns')).toBe('OK')
    expect(errorText(await c.call('SET', 'k', 'v'))).toBe('Namespace is in read-only mode')
    expect(errorText(await c.call('DEL', 'k'))).toBe('Namespace is in read-only mode')
    expect(await c.call('GET', 'k')).toBe(null)
    expect(errorText(await c.call('SELECT', 'ns', 'nope'))).toBe('Access denied')
    expect(await c.call('SELECT', 'ns', 'pw')).toBe('OK')
    expect(text(await c.call('SET', 'k', 'v'))).toBe('k')
  })

  it('private with a password: refused without it', async () => {
    const c = await withNamespace([
      ['password', 'pw'],
      ['public', '0'],
    ])
    expect(errorText(await c.call('SELECT', 'ns'))).toBe('Namespace protected and private')
    expect(await c.call('SELECT', 'ns', 'pw')).toBe('OK')
  })

  it('the other SELECT errors', async () => {
    const c = await withNamespace([['password', 'pw']])
    expect(errorText(await c.call('SELECT'))).toBe('Invalid argument')
    expect(errorText(await c.call('SELECT', 'nope'))).toBe('Namespace not found')
    expect(errorText(await c.call('SELECT', 'ns', 'x'.repeat(256)))).toBe('Password too long')
    expect(errorText(await c.call('SELECT', 'ns', 'a', 'b', 'c'))).toBe('Too many arguments')
    expect(errorText(await c.call('SELECT', 'ns', 'PLAIN', 'x'))).toBe('Only SECURE extra method supported')
    expect(errorText(await c.call('SELECT', 'ns', 'SECURE', 'a'.repeat(40)))).toBe(
      'No CHALLENGE requested, secure authentication not available',
    )
  })

  it('SELECT ns SECURE hash grants access and leaves the nonce for another use', async () => {
    const c = await withNamespace([
      ['password', 'pw'],
      ['public', '0'],
    ])
    const nonce = (await c.call('AUTH', 'SECURE', 'CHALLENGE')) as string
    expect(errorText(await c.call('SELECT', 'ns', 'SECURE', 'abc'))).toBe('Invalid hash length')
    expect(errorText(await c.call('SELECT', 'ns', 'SECURE', sha1(nonce, 'bad')))).toBe('Access denied')
    expect(await c.call('SELECT', 'ns', 'SECURE', sha1(nonce, 'pw'))).toBe('OK')
    expect(text(await c.call('SET', 'k', 'v'))).toBe('k')
    expect(await c.call('SELECT', 'default')).toBe('OK')
    expect(await c.call('SELECT', 'ns', 'SECURE', sha1(nonce, 'pw'))).toBe('OK')
  })
})

describe('--protect', () => {
  it('is refused without an admin password', async () => {
    await expect(start({ protect: true })).rejects.toThrow(ZdbOptionError)
  })

  it('clients start read-only on default; SELECT default <admin password> gives write access', async () => {
    await start({ admin: 'pw', protect: true })
    const c = await connect()
    expect(errorText(await c.call('SET', 'k', 'v'))).toBe('Namespace is in read-only mode')
    expect(errorText(await c.call('SELECT', 'default', 'wrong'))).toBe('Access denied')
    expect(await c.call('SELECT', 'default')).toBe('OK')
    expect(errorText(await c.call('SET', 'k', 'v'))).toBe('Namespace is in read-only mode')
    expect(await c.call('SELECT', 'default', 'pw')).toBe('OK')
    expect(text(await c.call('SET', 'k', 'v'))).toBe('k')
    // Selecting gives write access, not admin rights.
    expect(errorText(await c.call('NSNEW', 'a'))).toBe('Permission denied')
  })

  it('the admin password is not written to the default descriptor', async () => {
    await start({ admin: 'pw', protect: true })
    await f.stop()
    await start()
    const c = await connect()
    expect(text(await c.call('SET', 'k', 'v'))).toBe('k')
  })
})
