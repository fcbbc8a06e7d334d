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
})
