// Writes the WebAssembly text of the CRC-32C kernel (src/crc32c-wasm.ts) to stdout.
// `node scripts/build-crc32c-wasm.mjs` assembles it with wabt's wat2wasm into
// src/crc32c-wasm-module.ts.
//
// `update(crc, ptr, len)`: the slice-by-16 step of src/crc32c.ts (CRC-32C, reflected, no pre-
// or post-inversion: the caller's `crc` goes in and comes out as is) over memory[ptr, ptr+len).
// The 16 tables of 256 u32 sit at byte 0 of memory (table t at t·1024), written there by the
// caller. WebAssembly reads the four words and indexes the tables without bounds checks per
// load (its memory is guarded), which is where it beats the same loop in JavaScript.

/** Table `t`'s entry at byte offset `expr` (an i32 expression: 4 × the byte looked up). */
const lookup = (t, expr) => `(i32.load offset=${t * 1024} ${expr})`

/** 4 × byte `k` (0..3) of local `w`: the byte's table offset, in one shift and one mask. */
function byteOf(w, k) {
  const v = `(local.get ${w})`
  if (k === 0) return `(i32.and (i32.shl ${v} (i32.const 2)) (i32.const 1020))`
  if (k === 3) return `(i32.shl (i32.shr_u ${v} (i32.const 24)) (i32.const 2))`
  return `(i32.and (i32.shr_u ${v} (i32.const ${k * 8 - 2})) (i32.const 1020))`
}

/** XOR of `terms`, as a balanced tree (shorter dependency chains than a left fold). */
function xorTree(terms) {
  if (terms.length === 1) return terms[0]
  const half = terms.length >> 1
  return `(i32.xor ${xorTree(terms.slice(0, half))} ${xorTree(terms.slice(half))})`
}

export function crc32cWat() {
  // Byte j of the 16 (words $a $b $d $e, little-endian) goes through table 15 - j.
  const terms = []
  for (const [w, word] of ['$a', '$b', '$d', '$e'].entries()) {
    for (let k = 0; k < 4; k++) terms.push(lookup(15 - (w * 4 + k), byteOf(word, k)))
  }
  return `(module
  (memory (export "memory") 2)
  (func (export "update") (param $c i32) (param $p i32) (param $n i32) (result i32)
    (local $end i32) (local $a i32) (local $b i32) (local $d i32) (local $e i32)
    (local.set $end (i32.add (local.get $p) (i32.and (local.get $n) (i32.const -16))))
    (block $words
      (loop $step
        (br_if $words (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $a (i32.xor (local.get $c) (i32.load align=1 (local.get $p))))
        (local.set $b (i32.load offset=4 align=1 (local.get $p)))
        (local.set $d (i32.load offset=8 align=1 (local.get $p)))
        (local.set $e (i32.load offset=12 align=1 (local.get $p)))
        (local.set $c ${xorTree(terms)})
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $step)))
    (local.set $end (i32.add (local.get $p) (i32.and (local.get $n) (i32.const 15))))
    (block $bytes
      (loop $byte
        (br_if $bytes (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $c (i32.xor (i32.shr_u (local.get $c) (i32.const 8))
          ${lookup(0, '(i32.shl (i32.and (i32.xor (local.get $c) (i32.load8_u (local.get $p))) (i32.const 255)) (i32.const 2))')}))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $byte)))
    (local.get $c))
)
`
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(crc32cWat())
