#!/usr/bin/env node
/**
 * `zstor`: the command-line entry. Errors print one line (`zstor: CODE: what and what to do`),
 * never a stack trace unless `--debug`; exit codes are in `zstor --help`.
 * @module
 */
import { createRequire } from 'node:module'
import { loadConfig, validateConfig } from '../config/index.js'
import { ZstorError } from '../errors.js'
import { HELP, parseCli, UsageError } from './args.js'
import { run } from './commands.js'

const io = {
  out: (line: string) => process.stdout.write(`${line}\n`),
  err: (line: string) => process.stderr.write(`${line}\n`),
}

async function main(argv: string[]): Promise<number> {
  let invocation: ReturnType<typeof parseCli>
  try {
    invocation = parseCli(argv)
  } catch (error) {
    io.err(`zstor: ${(error as Error).message}`)
    return 2
  }
  if (invocation.kind === 'help') {
    io.out(HELP[invocation.command ?? 'main'])
    return 0
  }
  if (invocation.kind === 'version') {
    const pkg = createRequire(import.meta.url)('../../package.json') as { version: string }
    io.out(`zstor ${pkg.version}`)
    return 0
  }
  const { global, command, flags } = invocation
  let config: Awaited<ReturnType<typeof loadConfig>>
  try {
    config = await loadConfig(global.config)
    validateConfig(config)
  } catch (error) {
    io.err(`zstor: ${(error as Error).message}`)
    return 3
  }
  try {
    return await run(command, flags, config, global, io)
  } catch (error) {
    if (global.debug || !(error instanceof ZstorError || error instanceof UsageError)) {
      io.err(`zstor: ${(error as Error).stack ?? String(error)}`)
    } else io.err(`zstor: ${(error as Error).message}`)
    return 1
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code
  },
  (error: Error) => {
    io.err(`zstor: ${error.message}`)
    process.exitCode = 1
  },
)
