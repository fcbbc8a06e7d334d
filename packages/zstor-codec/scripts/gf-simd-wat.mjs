// Writes the WebAssembly text of the SIMD GF(2^8) kernel (src/gf-simd.ts) to stdout.
// `node scripts/build-gf-simd.mjs` assembles it with wabt's wat2wasm into src/gf-simd-module.ts.
//
// One function per output group size g = 1..4: `mul<g>(tab, nin, in, stride, out, len)` XORs
// into g outputs (at out + j·stride) the products of nin inputs (at in + i·stride) over len
// bytes (a multiple of 16). For input i and output j, tab + (i·g + j)·32 holds two 16-byte
// tables: c·x and c·(x << 4) for x = 0..15, so a product is two `i8x16.swizzle` lookups (the
// low and high nibble of each byte) and a XOR: the split-nibble method of klauspost's and
// ISA-L's SIMD kernels. The g accumulators stay in registers while every input passes once.

function mulFunction(g) {
  const acc = Array.from({ length: g }, (_, j) => `$a${j}`)
  const at = (j) =>
    j === 0 ? '(local.get $p)' : `(i32.add (local.get $p) (i32.mul (local.get $stride) (i32.const ${j})))`
  const lines = []
  lines.push(
    `  (func (export "mul${g}") (param $tab i32) (param $nin i32) (param $in i32) (param $stride i32) (param $out i32) (param $len i32)`,
  )
  lines.push('    (local $pos i32) (local $i i32) (local $p i32) (local $t i32)')
  lines.push(`    ${acc.map((a) => `(local ${a} v128)`).join(' ')}`)
  lines.push('    (local $v v128) (local $lo v128) (local $hi v128) (local $mask v128)')
  lines.push('    (local.set $mask (v128.const i8x16 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15 15))')
  lines.push('    (block $done')
  lines.push('      (loop $cols')
  lines.push('        (br_if $done (i32.ge_u (local.get $pos) (local.get $len)))')
  lines.push('        (local.set $p (i32.add (local.get $out) (local.get $pos)))')
  for (let j = 0; j < g; j++) lines.push(`        (local.set ${acc[j]} (v128.load align=1 ${at(j)}))`)
  lines.push('        (local.set $i (local.get $nin))')
  lines.push('        (local.set $t (local.get $tab))')
  lines.push('        (local.set $p (i32.add (local.get $in) (local.get $pos)))')
  lines.push('        (loop $inputs')
  lines.push('          (local.set $v (v128.load align=1 (local.get $p)))')
  lines.push('          (local.set $lo (v128.and (local.get $v) (local.get $mask)))')
  lines.push('          (local.set $hi (i8x16.shr_u (local.get $v) (i32.const 4)))')
  for (let j = 0; j < g; j++) {
    lines.push(
      `          (local.set ${acc[j]} (v128.xor (local.get ${acc[j]}) (v128.xor` +
        ` (i8x16.swizzle (v128.load offset=${j * 32} (local.get $t)) (local.get $lo))` +
        ` (i8x16.swizzle (v128.load offset=${j * 32 + 16} (local.get $t)) (local.get $hi)))))`,
    )
  }
  lines.push(`          (local.set $t (i32.add (local.get $t) (i32.const ${g * 32})))`)
  lines.push('          (local.set $p (i32.add (local.get $p) (local.get $stride)))')
  lines.push('          (br_if $inputs (local.tee $i (i32.sub (local.get $i) (i32.const 1)))))')
  lines.push('        (local.set $p (i32.add (local.get $out) (local.get $pos)))')
  for (let j = 0; j < g; j++) lines.push(`        (v128.store align=1 ${at(j)} (local.get ${acc[j]}))`)
  lines.push('        (local.set $pos (i32.add (local.get $pos) (i32.const 16)))')
  lines.push('        (br $cols)))')
  lines.push('  )')
  return lines.join('\n')
}

export function gfSimdWat() {
  return ['(module', '  (memory (export "memory") 1)', ...[1, 2, 3, 4].map(mulFunction), ')', ''].join('\n')
}

if (import.meta.url === `file://${process.argv[1]}`) process.stdout.write(gfSimdWat())
