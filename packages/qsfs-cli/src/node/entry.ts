/**
 * Where the `qsfs` command's script is, so the node can start its parts (`qsfs _daemon`,
 * `qsfs _mount`) as processes of the same installed version.
 * @module
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'

export function cliEntry(): string {
  const pkg = createRequire(import.meta.url).resolve('@qsfs/qsfs-cli/package.json')
  return join(dirname(pkg), 'dist', 'cli', 'main.js')
}
