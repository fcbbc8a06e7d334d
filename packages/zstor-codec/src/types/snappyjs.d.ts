/** The part of `snappyjs` 0.7 (CommonJS, no types of its own) that this package uses. */
declare module 'snappyjs' {
  /** The raw snappy block of `uncompressed` (no framing). */
  export function compress(uncompressed: Uint8Array): Uint8Array
}
