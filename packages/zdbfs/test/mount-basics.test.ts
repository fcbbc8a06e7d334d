/**
 * Every operation through a real mount: the zdb and the mount run in child processes, and this
 * process touches the mount only with async calls and child processes.
 */
import { constants } from 'node:fs'
import * as fsp from 'node:fs/promises'
import { join } from 'node:path'
import { encodeSeqKey } from '@qsfs/zdb-protocol'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type MountProcess, run, startMount, stopMountAndZdb } from './helpers/mount-process.js'
import { startZdb, type ZdbProcess } from './helpers/zdb-process.js'

let zdb: ZdbProcess
let m: MountProcess
let root: string
const p = (...parts: string[]) => join(root, ...parts)
const errCode = (promise: Promise<unknown>) =>
  promise.then(
    () => 'OK',
    (e: NodeJS.ErrnoException) => e.code,
  )
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

beforeAll(async () => {
  zdb = await startZdb()
  m = await startMount({ port: zdb.port, opts: ['allow_other'] })
  root = m.mountpoint
}, 60_000)

afterAll(() => stopMountAndZdb(m, zdb), 60_000)

describe('lookup, getattr and readdir', () => {
  it('finds what was created, lists . and .. and reports types and sizes', async () => {
    await fsp.mkdir(p('dir'))
    await fsp.writeFile(p('dir', 'file'), 'content')
    expect((await fsp.stat(p('dir', 'file'))).size).toBe(7)
    expect((await fsp.stat(p('dir'))).isDirectory()).toBe(true)
    expect(await fsp.readdir(p('dir'))).toEqual(['file'])
    const ls = await run('ls', ['-a', p('dir')])
    expect(ls.stdout.split('\n').filter(Boolean)).toEqual(['.', '..', 'file'])
    expect(await errCode(fsp.stat(p('dir', 'missing')))).toBe('ENOENT')
    expect(await errCode(fsp.stat(p('dir', 'file', 'below')))).toBe('ENOTDIR')
  })

  it('reports the same inode for hard links and nlink counts for directories', async () => {
    await fsp.mkdir(p('links'))
    await fsp.mkdir(p('links', 'sub'))
    await fsp.writeFile(p('links', 'a'), 'x')
    await fsp.link(p('links', 'a'), p('links', 'b'))
    const [a, b] = await Promise.all([fsp.stat(p('links', 'a')), fsp.stat(p('links', 'b'))])
    expect(a.ino).toBe(b.ino)
    expect(a.nlink).toBe(2)
    expect((await fsp.stat(p('links'))).nlink).toBe(3)
  })

  it("hands the kernel a new file's own attributes with the creation", async () => {
    const before = Date.now()
    const fh = await fsp.open(p('created'), 'wx', 0o640)
    // Within attr_timeout the kernel answers fstat from what the create reply carried.
    const created = await fh.stat()
    await fh.close()
    expect(created.mode).toBe(constants.S_IFREG | 0o640)
    expect([created.size, created.nlink, created.uid, created.gid]).toEqual([
      0,
      1,
      process.getuid!(),
      process.getgid!(),
    ])
    expect(created.mtimeMs).toBeGreaterThanOrEqual(before - 1000)
    expect(created.mtimeMs).toBeLessThanOrEqual(Date.now() + 1000)
    // chmod's reply comes from a fresh getattr: the same file, with mtime untouched.
    await fsp.chmod(p('created'), 0o600)
    const after = await fsp.stat(p('created'))
    expect([after.ino, after.mtimeMs, after.mode]).toEqual([
      created.ino,
      created.mtimeMs,
      constants.S_IFREG | 0o600,
    ])
  })

  it("answers a directory's attributes after a creation only until the directory changes", async () => {
    // After each creation the binding may answer the kernel's next GETATTR of the directory
    // from the creation's answer (patch level 2); every change below must reach the kernel.
    const create = async (name: string) => (await fsp.open(p('gen', name), 'wx')).close()
    await fsp.mkdir(p('gen'))
    await fsp.writeFile(p('gen', 'gone'), 'x')
    await create('a')
    const afterCreate = await fsp.stat(p('gen'))
    // unlink: the kernel drops the directory's attributes and asks again.
    await fsp.unlink(p('gen', 'gone'))
    const afterUnlink = await fsp.stat(p('gen'))
    expect(afterUnlink.size).toBeLessThan(afterCreate.size)
    await create('b')
    const beforeRename = await fsp.stat(p('gen'))
    await fsp.rename(p('gen', 'b'), p('gen', 'bb'))
    expect((await fsp.stat(p('gen'))).size).toBe(beforeRename.size + 1)
    await create('c')
    const beforeMkdir = await fsp.stat(p('gen'))
    await fsp.mkdir(p('gen', 'sub'))
    expect((await fsp.stat(p('gen'))).nlink).toBe(beforeMkdir.nlink + 1)
    // The directory itself moves: its old path must not be answered from the creation's copy.
    await create('d')
    await fsp.stat(p('gen'))
    await fsp.rename(p('gen'), p('gen2'))
    expect(await errCode(fsp.stat(p('gen')))).toBe('ENOENT')
    expect((await fsp.readdir(p('gen2'))).sort()).toEqual(['a', 'bb', 'c', 'd', 'sub'])
  })

  it('refuses names over 255 bytes with ENAMETOOLONG', async () => {
    expect(await errCode(fsp.writeFile(p('n'.repeat(256)), 'x'))).toBe('ENAMETOOLONG')
    await fsp.writeFile(p('n'.repeat(255)), 'x')
  })
})

describe('setattr', () => {
  it('changes mode and owner, and ctime with them', async () => {
    await fsp.writeFile(p('attr'), 'x')
    const before = await fsp.stat(p('attr'))
    await sleep(20)
    await fsp.chmod(p('attr'), 0o640)
    const after = await fsp.stat(p('attr'))
    expect(after.mode & 0o7777).toBe(0o640)
    expect(after.ctimeMs).toBeGreaterThan(before.ctimeMs)
    expect(after.mtimeMs).toBe(before.mtimeMs)
    await fsp.chown(p('attr'), 1234, 5678)
    const owned = await fsp.stat(p('attr'))
    expect([owned.uid, owned.gid]).toEqual([1234, 5678])
  })

  it('sets atime and mtime to different values, and both to now (touch)', async () => {
    await fsp.writeFile(p('times'), 'x')
    await fsp.utimes(p('times'), 1_000_000_000.5, 1_200_000_000.25)
    const st = await fsp.stat(p('times'))
    expect([st.atimeMs, st.mtimeMs]).toEqual([1_000_000_000_500, 1_200_000_000_250])
    const before = Date.now()
    await run('touch', [p('times')])
    const touched = await fsp.stat(p('times'))
    expect(touched.mtimeMs).toBeGreaterThanOrEqual(before - 1000)
    expect(touched.atimeMs).toBeGreaterThanOrEqual(before - 1000)
  })

  it('truncates to any size, reading zeros where a shrink cut (upstream bug 2)', async () => {
    await fsp.writeFile(p('trunc'), 'A'.repeat(100))
    await fsp.truncate(p('trunc'), 10)
    await fsp.truncate(p('trunc'), 100)
    expect(await fsp.readFile(p('trunc'), 'latin1')).toBe('A'.repeat(10) + '\0'.repeat(90))
    await run('truncate', ['-s', '1G', p('trunc')])
    expect((await fsp.stat(p('trunc'))).size).toBe(2 ** 30)
  })
})

describe('files', () => {
  it('writes and reads back random data across block boundaries', async () => {
    const data = Buffer.alloc(3 * 131072 + 1234)
    for (let i = 0; i < data.length; i++) data[i] = (i * 31 + 7) % 256
    await fsp.writeFile(p('blob'), data)
    expect((await fsp.readFile(p('blob'))).equals(data)).toBe(true)
    const fh = await fsp.open(p('blob'), 'r+')
    await fh.write(Buffer.from('XYZ'), 0, 3, 131070)
    await fh.close()
    const back = await fsp.readFile(p('blob'))
    expect(back.subarray(131070, 131073).toString()).toBe('XYZ')
  })

  it('truncates on O_TRUNC and appends on O_APPEND', async () => {
    await fsp.writeFile(p('modes'), 'first line\n')
    await fsp.appendFile(p('modes'), 'second\n')
    expect(await fsp.readFile(p('modes'), 'utf8')).toBe('first line\nsecond\n')
    const fh = await fsp.open(p('modes'), constants.O_WRONLY | constants.O_TRUNC)
    await fh.close()
    expect((await fsp.stat(p('modes'))).size).toBe(0)
  })

  it('updates mtime and ctime on write, atime on read', async () => {
    await fsp.writeFile(p('mtime'), 'x')
    await fsp.utimes(p('mtime'), 1_000_000_000, 1_000_000_000)
    await fsp.appendFile(p('mtime'), 'y')
    const st = await fsp.stat(p('mtime'))
    expect(st.mtimeMs).toBeGreaterThan(1_000_000_000_000)
    expect(st.ctimeMs).toBeGreaterThan(1_000_000_000_000)
    await fsp.readFile(p('mtime'))
    expect((await fsp.stat(p('mtime'))).atimeMs).toBeGreaterThan(1_000_000_000_000)
  })

  it('keeps an unlinked open file readable until it is closed (upstream bug 5)', async () => {
    await fsp.writeFile(p('open-unlinked'), 'still here')
    const fh = await fsp.open(p('open-unlinked'), 'r')
    await fsp.unlink(p('open-unlinked'))
    expect(await errCode(fsp.stat(p('open-unlinked')))).toBe('ENOENT')
    const buf = Buffer.alloc(10)
    const { bytesRead } = await fh.read(buf, 0, 10, 0)
    expect(buf.subarray(0, bytesRead).toString()).toBe('still here')
    await fh.close()
  })

  it('deletes an unlinked open file from zdb once its last handle is closed', async () => {
    await fsp.writeFile(p('gone-later'), Buffer.alloc(300_000, 7))
    const { ino } = await fsp.stat(p('gone-later'))
    const fh = await fsp.open(p('gone-later'), 'r')
    await fsp.unlink(p('gone-later'))
    await fh.sync() // the inode and its blocks are stored while the file is still open
    const meta = new Redis({ port: zdb.port, protocol: 2, enableReadyCheck: false, lazyConnect: true })
    try {
      await meta.connect()
      await meta.call('SELECT', 'zdbfs-meta')
      expect(await meta.getBuffer(encodeSeqKey(ino))).not.toBeNull()
      expect((await fh.read(Buffer.alloc(4), 0, 4, 299_000)).bytesRead).toBe(4)
      await fh.close()
      // libfuse unlinks the hidden name after close() returned; the write pass deletes the keys.
      let stored: Buffer | null = Buffer.alloc(0)
      for (let i = 0; i < 40 && stored !== null; i++) {
        await sleep(100)
        const other = await fsp.open(p('synced-after-unlink'), 'w')
        await other.sync()
        await other.close()
        stored = await meta.getBuffer(encodeSeqKey(ino))
      }
      expect(stored).toBeNull()
      expect((await fsp.readdir(root)).filter((n) => n.startsWith('.fuse_hidden'))).toEqual([])
    } finally {
      meta.disconnect()
    }
  }, 20_000)

  it('makes FIFOs with mknod (upstream: ENOSYS)', async () => {
    const r = await run('mkfifo', [p('fifo')])
    expect(r.code).toBe(0)
    expect((await fsp.stat(p('fifo'))).isFIFO()).toBe(true)
  })

  it('makes symlinks and reads them back; st_size is the target length', async () => {
    await fsp.symlink('abcdef', p('sym'))
    expect(await fsp.readlink(p('sym'))).toBe('abcdef')
    expect((await fsp.lstat(p('sym'))).size).toBe(6)
  })

  it('keeps extended attributes', async () => {
    await fsp.writeFile(p('xattr'), 'x')
    const py = `import os
f = ${JSON.stringify(p('xattr'))}
os.setxattr(f, 'user.color', b'blue')
os.setxattr(f, 'user.big', b'v' * 5000)
print(os.getxattr(f, 'user.color').decode(), sorted(os.listxattr(f)), len(os.getxattr(f, 'user.big')))
os.removexattr(f, 'user.color')
try:
    os.getxattr(f, 'user.color')
except OSError as e:
    print(e.errno)`
    const r = await run('python3', ['-c', py])
    expect(r.stdout.trim().split('\n')).toEqual(["blue ['user.big', 'user.color'] 5000", '61'])
  })

  it('answers fsync, flush and statfs', async () => {
    const fh = await fsp.open(p('synced'), 'w')
    await fh.write('durable')
    await fh.sync()
    await fh.datasync()
    await fh.close()
    const st = await fsp.statfs(root)
    expect(st.bsize).toBe(131072)
    expect(st.blocks * 1024).toBe(10 * 2 ** 30)
    const df = await run('df', ['-P', root])
    expect(df.code).toBe(0)
  })
})

describe('directories and renames', () => {
  it('refuses rmdir of a non-empty directory with ENOTEMPTY (upstream bug 1)', async () => {
    await fsp.mkdir(p('full', 'deep'), { recursive: true })
    expect(await errCode(fsp.rmdir(p('full')))).toBe('ENOTEMPTY')
    await fsp.rmdir(p('full', 'deep'))
    await fsp.rmdir(p('full'))
  })

  it('renames across directories, over files and over empty directories, not over non-empty ones', async () => {
    await fsp.mkdir(p('r1'))
    await fsp.mkdir(p('r2'))
    await fsp.writeFile(p('r1', 'f'), 'moved')
    await fsp.writeFile(p('r2', 'g'), 'replaced')
    await fsp.rename(p('r1', 'f'), p('r2', 'g'))
    expect(await fsp.readFile(p('r2', 'g'), 'utf8')).toBe('moved')
    await fsp.mkdir(p('r1', 'empty'))
    await fsp.mkdir(p('r2', 'd'))
    await fsp.rename(p('r2', 'd'), p('r1', 'empty'))
    expect(await fsp.readdir(p('r2'))).toEqual(['g'])
    await fsp.mkdir(p('r2', 'busy'))
    await fsp.writeFile(p('r2', 'busy', 'x'), '')
    expect(await errCode(fsp.rename(p('r1', 'empty'), p('r2', 'busy')))).toBe('ENOTEMPTY')
  })

  it('answers RENAME_NOREPLACE and RENAME_EXCHANGE with a clear EINVAL instead of a plain rename (upstream bug 3)', async () => {
    await fsp.writeFile(p('ex-a'), 'a')
    await fsp.writeFile(p('ex-b'), 'b')
    const py = `import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
def r(a, b, flags):
    res = libc.renameat2(-100, a.encode(), -100, b.encode(), flags)
    return 0 if res == 0 else ctypes.get_errno()
print(r(${JSON.stringify(p('ex-a'))}, ${JSON.stringify(p('ex-b'))}, 2), r(${JSON.stringify(p('ex-a'))}, ${JSON.stringify(p('ex-new'))}, 1))`
    const out = await run('python3', ['-c', py])
    expect(out.stdout.trim()).toBe('22 22')
    expect(await fsp.readFile(p('ex-a'), 'utf8')).toBe('a')
    expect(await fsp.readFile(p('ex-b'), 'utf8')).toBe('b')
  })
})

describe('permissions (default_permissions)', () => {
  it('lets the kernel refuse what the mode bits forbid', async () => {
    await fsp.writeFile(p('secret'), 'root only')
    await fsp.chmod(p('secret'), 0o600)
    await fsp.chmod(root, 0o755)
    const denied = await run('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      'cat',
      p('secret'),
    ])
    expect(denied.code).not.toBe(0)
    expect(denied.stderr).toMatch(/Permission denied/)
    await fsp.chmod(p('secret'), 0o644)
    const allowed = await run('setpriv', [
      '--reuid=65534',
      '--regid=65534',
      '--clear-groups',
      'cat',
      p('secret'),
    ])
    expect(allowed.stdout).toBe('root only')
  })
})
