#!/usr/bin/env node
/**
 * `zdb-server`: runs the server until SIGINT or SIGTERM (or prints the index with `--dump`).
 * @module
 */
import { once } from 'node:events'
import { DAEMON_CHILD, daemonize, reportReady } from './background.js'
import { type CliCommand, parseArgs, USAGE } from './cli-args.js'
import { exitOnCrash, injectTestFault } from './crash.js'
import { dumpIndex } from './dump.js'
import { ZdbServerError } from './errors.js'
import { zdbId } from './hooks.js'
import { createZdbServer } from './index.js'
import { consoleLogger } from './logger.js'
import { VERSION } from './version.js'

function fail(message: string, hint = false): never {
  process.stderr.write(`zdb-server: ${message}${hint ? ' (see --help)' : ''}\n`)
  process.exit(1)
}

async function main(argv: readonly string[]): Promise<void> {
  let command: CliCommand
  try {
    command = parseArgs(argv)
  } catch (err) {
    fail((err as Error).message, true)
  }
  if (command.kind === 'help') {
    process.stdout.write(USAGE)
    return
  }
  if (command.kind === 'version') {
    process.stdout.write(`zdb-server ${VERSION}\n`)
    return
  }
  if (command.dump) {
    await dump(command.indexDir, command.dataDir)
    return
  }
  if (command.background && !process.env[DAEMON_CHILD]) {
    try {
      const pid = await daemonize(argv, command.logfile)
      process.stdout.write(`zdb-server running in the background, pid ${pid}\n`)
      return
    } catch (err) {
      fail((err as Error).message)
    }
  }
  const logger = consoleLogger(command.verbose)
  const server = await createZdbServer({
    host: command.host,
    port: command.port,
    dataDir: command.dataDir,
    indexDir: command.indexDir,
    datasize: command.datasize,
    mode: command.mode,
    admin: command.admin,
    protect: command.protect,
    maxsize: command.maxsize,
    sync: command.sync,
    synctime: command.synctime,
    secure: command.secure,
    rotate: command.rotate,
    hook: command.hook,
    ...(command.cacheSize === undefined ? {} : { cacheSize: command.cacheSize }),
    ...(command.socket === undefined ? {} : { socket: command.socket, dualnet: command.dualnet }),
    logger,
  }).catch((err: unknown) => {
    if (err instanceof ZdbServerError) fail(err.message)
    fail(command.verbose && err instanceof Error ? String(err.stack) : String((err as Error).message ?? err))
  })
  const { host, port, socket } = server.address
  const tcp = host === '' ? '' : `${host.includes(':') ? `[${host}]` : host}:${port}`
  const shown = socket === undefined ? tcp : tcp === '' ? `unix:${socket}` : `unix:${socket} and ${tcp}`
  const stop = (signal: string): void => {
    logger.debug(`${signal} received, closing`)
    server.close().then(
      () => process.exit(0),
      (err: unknown) => fail(`error while closing: ${String(err)}`),
    )
  }
  // Handlers go in before the line that tells supervisors (and tests) we are up, so a
  // signal sent on seeing it is never met by the default action.
  process.once('SIGINT', () => stop('SIGINT'))
  process.once('SIGTERM', () => stop('SIGTERM'))
  exitOnCrash({ hook: command.hook, zdbid: zdbId(server.address), logger })
  logger.info(`zdb-server listening on ${shown} (data ${command.dataDir}, index ${command.indexDir})`)
  reportReady()
  injectTestFault(process.env.ZDB_SERVER_TEST_FAULT)
}

/** `--dump`: the index listing on stdout, warnings on stderr; stops quietly if stdout closes. */
async function dump(indexDir: string, dataDir: string): Promise<void> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0)
    fail(`cannot write the dump: ${err.message}`)
  })
  const warn = (message: string): void => void process.stderr.write(`zdb-server: ${message}\n`)
  try {
    for (const chunk of dumpIndex(indexDir, dataDir, warn)) {
      if (!process.stdout.write(chunk)) await once(process.stdout, 'drain')
    }
  } catch (err) {
    if (err instanceof ZdbServerError) fail(err.message)
    throw err
  }
}

void main(process.argv.slice(2))
