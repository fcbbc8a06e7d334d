import { describe, expect, it } from 'vitest'
import { ZdbfsOptionError } from '../src/errors.js'
import { resolveNamespaces } from '../src/namespaces.js'
import { parseMountOptions, parseSize } from '../src/options.js'

describe('upstream -o options', () => {
  it('applies host, port and unix to all three namespaces, and per-namespace options over them', () => {
    const { mount } = parseMountOptions([
      'host=10.0.0.1,port=9901',
      'mp=9902,ms=secret,dh=10.0.0.2,tu=/run/t.sock',
    ])
    const [meta, data, temp] = resolveNamespaces(mount.zdb)
    expect(meta).toEqual({
      role: 'meta',
      namespace: 'zdbfs-meta',
      host: '10.0.0.1',
      port: 9902,
      password: 'secret',
    })
    expect(data).toEqual({ role: 'data', namespace: 'zdbfs-data', host: '10.0.0.2', port: 9901 })
    expect(temp).toEqual({ role: 'temp', namespace: 'zdbfs-temp', socket: '/run/t.sock', password: 'hello' })
  })

  it('defaults to localhost:9900 and the fixed names, ignoring mn/dn/tn/ts as upstream does', () => {
    const { mount } = parseMountOptions(['mn=foometa,dn=x,tn=y,ts=secret'])
    expect(resolveNamespaces(mount.zdb).map((r) => [r.namespace, r.host, r.port, r.password])).toEqual([
      ['zdbfs-meta', 'localhost', 9900, undefined],
      ['zdbfs-data', 'localhost', 9900, undefined],
      ['zdbfs-temp', 'localhost', 9900, 'hello'],
    ])
  })

  it('reads size, nocache, autons, cachesize, background and logfile, and hands the rest to FUSE', () => {
    const { mount, cli } = parseMountOptions([
      'size=2G,nocache,autons,cachesize=64,background,logfile=/tmp/l,allow_other,auto_unmount,ro',
    ])
    expect(mount).toMatchObject({
      size: 2 * 2 ** 30,
      nocache: true,
      autons: true,
      cacheBlocks: 64,
      allowOther: true,
    })
    expect(mount.fuseOptions).toEqual(['auto_unmount', 'ro'])
    expect(cli).toEqual({ background: true, logfile: '/tmp/l' })
  })

  it('refuses bad values with a message naming the option', () => {
    expect(() => parseMountOptions(['port=99999'])).toThrow(ZdbfsOptionError)
    expect(() => parseMountOptions(['port=99999'])).toThrow(/port must be a port 1..65535, got '99999'/)
    expect(() => parseMountOptions(['size=lots'])).toThrow(/size must be a byte count/)
    expect(() => parseMountOptions(['mh='])).toThrow(/option mh needs a value/)
    expect(() => parseMountOptions(['cachesize=0'])).toThrow(/cachesize must be an integer >= 1/)
  })

  it('reads byte counts with K/M/G/T suffixes in powers of 1024', () => {
    expect([
      parseSize('s', '10737418240'),
      parseSize('s', '10G'),
      parseSize('s', '512k'),
      parseSize('s', '1TiB'),
    ]).toEqual([10 * 2 ** 30, 10 * 2 ** 30, 512 * 1024, 2 ** 40])
  })
})
