/** Types of build-crc32c-wasm.mjs, for test/crc32c-wasm.test.ts. */

/** The kernel assembled by wabt's `wat2wasm`. */
export function assembleCrc32c(): Buffer
/** The text of src/crc32c-wasm-module.ts for the assembled `wasm`. */
export function crc32cModuleSource(wasm: Buffer): string
