#!/usr/bin/env node
/**
 * `zdbfs [-f] [-d] -o opt,opt... <mountpoint>`: upstream 0-db-fs's command line (spec
 * zdbfs-and-glue.md §1 "Command line"). Runs in the foreground unless `-o background`, in which
 * case it exits 0 once the mount is ready (1 if it failed). SIGINT/SIGTERM unmount cleanly.
 * @module
 */
import { spawn } from 'node:child_process'
import { appendFileSync, openSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { ZdbfsError } from './errors.js'
import { consoleLogger, type Logger, silentLogger } from './logger.js'
import { mount } from './mount.js'
import { parseMountOptions } from './options.js'

const USAGE = `usage: zdbfs [options] <mountpoint>

  -o opt[,opt...]   options, upstream 0-db-fs names:
       host=,port=,unix=     zdb of all three namespaces (default localhost:9900)
       mh=,mp=,mu=,ms=       meta namespace host, port, unix socket, password
       dh=,dp=,du=,ds=       data namespace
       th=,tp=,tu=           temp namespace (password hello)
       size=N                bytes reported by statfs (default 10G)
       autons                create the namespaces
       nocache               store every change before replying
       background            detach once mounted
       logfile=FILE          append messages to FILE
       cachesize=N           clean blocks kept in memory (128 KiB each, default 256)
       timeout=MS            zdb call timeout before EIO (default 5000)
       syncinterval=MS       write-back interval without fsync (default 1000)
     anything else (allow_other, default_permissions, ro, ...) goes to FUSE
  -f                foreground (the default)
  -d                verbose messages
  -h, --help        this text
  -V, --version     version
`

function fileLogger(path: string, verbose: boolean): Logger {
  const line = (level: string) => (m: string) =>
    appendFileSync(path, `${new Date().toISOString()} ${level} ${m}\n`)
  return {
    debug: verbose ? line('debug') : () => {},
    info: line('info'),
    warn: line('warn'),
    error: line('error'),
  }
}

async function main(argv: string[]): Promise<number> {
  const lists: string[] = []
  const positional: string[] = []
  let verbose = false
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    if (a === '-h' || a === '--help') {
      process.stdout.write(USAGE)
      return 0
    }
    if (a === '-V' || a === '--version') {
      process.stdout.write('zdbfs (@qsfs/zdbfs), 0-db-fs format version 1\n')
      return 0
    }
    if (a === '-o') {
      const v = argv[++i]
      if (v === undefined) throw new Error('-o needs an option list')
      lists.push(v)
    } else if (a.startsWith('-o')) lists.push(a.slice(2))
    else if (a === '-f') continue
    else if (a === '-d') verbose = true
    else if (a.startsWith('-')) {
      process.stderr.write(`zdbfs: unknown flag ${a}\n${USAGE}`)
      return 1
    } else positional.push(a)
  }
  if (positional.length !== 1) {
    process.stderr.write(USAGE)
    return 1
  }
  const { mount: options, cli } = parseMountOptions(lists)
  if (cli.background && process.env.ZDBFS_BACKGROUND_CHILD !== '1') return background(cli.logfile)
  const detached = process.env.ZDBFS_BACKGROUND_CHILD === '1'
  // A detached child's stdout is a pipe its parent closes once ready: it must not log there.
  if (detached) process.stdout.on('error', () => {})
  const logger = cli.logfile
    ? fileLogger(cli.logfile, verbose)
    : detached
      ? silentLogger
      : consoleLogger(verbose)
  const handle = await mount({ ...options, mountpoint: positional[0]!, logger })
  // The line tests and `background` wait for.
  process.stdout.write(`zdbfs: ready ${handle.mountpoint}\n`)
  await new Promise<void>((resolve) => {
    const stop = () => resolve()
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  })
  await handle.unmount()
  return 0
}

/** Re-runs this command detached and exits once it reports ready. */
function background(logfile: string | undefined): Promise<number> {
  return new Promise((resolve) => {
    const out = logfile ? openSync(logfile, 'a') : 'ignore'
    const child = spawn(
      process.execPath,
      [...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)],
      {
        detached: true,
        stdio: ['ignore', 'pipe', out],
        env: { ...process.env, ZDBFS_BACKGROUND_CHILD: '1' },
      },
    )
    let buffered = ''
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString()
      if (buffered.includes('zdbfs: ready')) {
        process.stdout.write(`zdbfs: running in the background, pid ${child.pid}\n`)
        child.stdout!.destroy()
        child.unref()
        resolve(0)
      }
    })
    child.once('exit', (code) => resolve(code === 0 ? 1 : (code ?? 1)))
  })
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`zdbfs: ${err instanceof ZdbfsError ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
