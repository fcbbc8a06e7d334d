import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)

describe('the fuse-native addon', () => {
  it('loads, with its errno table', () => {
    const Fuse = require('fuse-native') as { ENOENT: number; EIO: number }
    expect(typeof Fuse).toBe('function')
    expect([Fuse.ENOENT, Fuse.EIO]).toEqual([-2, -5])
  })

  it('is built from source with patches/fuse-native@2.2.6.patch', () => {
    const root = dirname(require.resolve('fuse-native/package.json'))
    const build = createRequire(join(root, 'index.js'))('node-gyp-build') as (
      dir: string,
    ) => Record<string, unknown>
    expect(existsSync(join(root, 'build', 'Release', 'fuse.node'))).toBe(true)
    const binding = build(root)
    expect(binding.qsfs_patch).toBe(2)
    // The directory-change count the bridge bumps: each call returns the next value.
    const bump = binding.qsfs_dir_changed as () => number
    const first = bump()
    expect(bump()).toBe(first + 1)
  })

  it('finds libfuse.so.2 on this machine (apt: libfuse2)', () => {
    const root = dirname(require.resolve('fuse-native/package.json'))
    // node-gyp-build prefers a local build over the shipped prebuild.
    const built = join(root, 'build', 'Release', 'fuse.node')
    const binding = existsSync(built)
      ? built
      : join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'node.napi.node')
    const ldd = execFileSync('ldd', [binding], { encoding: 'utf8' })
    expect(ldd).toMatch(/libfuse\.so\.2 => \/\S+/)
    expect(ldd).not.toMatch(/not found/)
  })
})
