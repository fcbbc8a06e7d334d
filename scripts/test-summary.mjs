// Adds up the JSON reports the packages' vitest runs wrote and prints one closing line,
// "tests: N passed, N failed", that any CI can read. Exits non-zero if a test failed or
// if no test ran at all (an empty run must not pass for a green one).
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

let passed = 0
let failed = 0
let skipped = 0
for (const dir of readdirSync('packages')) {
  const file = join('packages', dir, '.vitest-report.json')
  if (!existsSync(file)) continue
  const report = JSON.parse(readFileSync(file, 'utf8'))
  passed += report.numPassedTests
  failed += report.numFailedTests
  skipped += report.numPendingTests + (report.numTodoTests ?? 0)
}
console.log(`tests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)
