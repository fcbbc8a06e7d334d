#!/usr/bin/env node
/**
 * `qsfs`: the command-line entry. Errors print one line (`qsfs: CODE: what and what to do`),
 * never a stack trace unless QSFS_DEBUG is set. Exit: 0 ok, 1 failure, 2 bad usage.
 * @module
 */
import { QsfsError } from '../errors.js'
import { VERSION } from '../version.js'
import { help, parseCli } from './args.js'

async function main(argv: string[]): Promise<number> {
  const invocation = parseCli(argv)
  if (invocation.kind === 'help') {
    process.stdout.write(`${help(invocation.command)}\n`)
    return 0
  }
  if (invocation.kind === 'version') {
    process.stdout.write(`qsfs ${VERSION}\n`)
    return 0
  }
  // Loaded only now: the node's modules take a few hundred ms, which help and usage errors skip.
  const { runCommand } = await import('./commands.js')
  return runCommand(invocation)
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code
  },
  (error: Error) => {
    const known = error instanceof QsfsError || (error as { code?: unknown }).code !== undefined
    process.stderr.write(
      `qsfs: ${known && !process.env.QSFS_DEBUG ? error.message : (error.stack ?? String(error))}\n`,
    )
    process.exitCode = error instanceof QsfsError && error.code === 'ERR_USAGE' ? 2 : 1
    // A failed start may leave handles (sockets, timers) behind; the command is over.
    setTimeout(() => process.exit(), 100).unref()
  },
)
