import { describe, expect, it } from 'vitest'
import { COMMAND_NAMES, findCommand } from '../src/commands/table.js'

const resolve = (input: string | Buffer): string | undefined =>
  findCommand(typeof input === 'string' ? Buffer.from(input, 'latin1') : input)?.name

describe('command table (upstream zdbd/commands.c order)', () => {
  it('keeps upstream order for the verified entries', () => {
    expect(COMMAND_NAMES.slice(0, 33)).toEqual([
      '*',
      'WAIT',
      'MIRROR',
      'MASTER',
      'PING',
      'TIME',
      'AUTH',
      'HOOKS',
      'INDEX',
      'SET',
      'SETX',
      'GET',
      'MGET',
      'DEL',
      'EXISTS',
      'CHECK',
      'SCAN',
      'SCANX',
      'RSCAN',
      'KSCAN',
      'HISTORY',
      'KEYCUR',
      'INFO',
      'STOP',
      'DBSIZE',
      'NSNEW',
      'NSDEL',
      'NSLIST',
      'NSSET',
      'NSINFO',
      'SELECT',
      'RELOAD',
      'FLUSH',
    ])
  })

  it('the first entry that the input prefixes wins, case-insensitively', () => {
    expect(resolve('P')).toBe('PING')
    expect(resolve('s')).toBe('SET')
    expect(resolve('SETX')).toBe('SETX')
    expect(resolve('g')).toBe('GET')
    expect(resolve('M')).toBe('MIRROR')
    expect(resolve('MG')).toBe('MGET')
    expect(resolve('D')).toBe('DEL')
    expect(resolve('I')).toBe('INDEX')
    expect(resolve('INF')).toBe('INFO')
    expect(resolve('H')).toBe('HOOKS')
    expect(resolve('K')).toBe('KSCAN')
    expect(resolve('KEY')).toBe('KEYCUR')
    expect(resolve('KEYT')).toBe('KEYTIME')
    expect(resolve('N')).toBe('NSNEW')
    expect(resolve('NSL')).toBe('NSLIST')
    expect(resolve('L')).toBe('LENGTH')
  })

  it('an empty name and * resolve to the * entry', () => {
    expect(resolve('')).toBe('*')
    expect(resolve('*')).toBe('*')
  })

  it('input longer than a name does not match it, except after a NUL byte as in strncasecmp', () => {
    expect(resolve('PINGX')).toBeUndefined()
    expect(resolve('SETXX')).toBeUndefined()
    expect(resolve(Buffer.from('PING\0junk', 'latin1'))).toBe('PING')
    expect(resolve(Buffer.from([0]))).toBeUndefined()
  })

  it('resolves every name prefix, in any case, and every single byte as a scan of the whole table would', () => {
    // C strncasecmp(input, name, len(input)) == 0, with name NUL-terminated.
    const lowerByte = (b: number): number => (b >= 0x41 && b <= 0x5a ? b | 0x20 : b)
    const reference = (input: Buffer): string | undefined =>
      COMMAND_NAMES.find((name) => {
        for (let i = 0; i < input.length; i++) {
          const a = lowerByte(input[i]!)
          const b = i < name.length ? lowerByte(name.charCodeAt(i)) : 0
          if (a !== b) return false
          if (a === 0) return true
        }
        return true
      })
    const inputs: Buffer[] = []
    for (let b = 0; b < 256; b++) inputs.push(Buffer.from([b]))
    for (const name of COMMAND_NAMES) {
      for (let n = 1; n <= name.length + 1; n++) {
        const prefix = `${name}X`.slice(0, n)
        inputs.push(Buffer.from(prefix, 'latin1'), Buffer.from(prefix.toLowerCase(), 'latin1'))
      }
    }
    for (const input of inputs) expect(resolve(input)).toBe(reference(input))
  })
})
