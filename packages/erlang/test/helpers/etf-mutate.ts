/**
 * Mutations of external-term-format bytes for the codec's fuzz tests, each
 * from a seeded stream so a failing run replays from its seed:
 *
 * ```ts
 * const seed = envSeed('TEKKA_ETF_FUZZ_SEED')
 * const { bytes, ops } = mutateTerm(corpus[i % corpus.length], rngFor(seed, i))   // ops: ['tag@3=108', 'len32@7=4294967295']
 * ```
 *
 * Besides byte flips, inserts, deletes and truncation, they write ETF tags
 * and boundary values of 8-, 16- and 32-bit length fields at random places:
 * a random byte rarely makes a list claim 2^32 elements.
 */
import type { Rng } from '@tekka/testing/sim/rng'
import { ETF_TAG } from '../../src/index.js'

const TAGS = Object.values(ETF_TAG)
const LENGTHS_32 = [0, 1, 2, 255, 256, 0xffff, 0x1_0000, 0x7fff_ffff, 0x8000_0000, 0xffff_fffe, 0xffff_ffff, 0x0400_0000]
const LENGTHS_16 = [0, 1, 255, 256, 0x7fff, 0xfffe, 0xffff]
const LENGTHS_8 = [0, 1, 2, 5, 6, 7, 8, 9, 127, 128, 254, 255]

export const TERM_MUTATIONS = ['bitflip', 'byte', 'tag', 'insert', 'delete', 'truncate', 'len32', 'len16', 'len8', 'duplicate'] as const

/** A mutated copy of `input` (1 to 3 mutations; the version byte is kept unless a mutation lands on it) and what was done. */
export function mutateTerm (input: Uint8Array, rng: Rng): { bytes: Buffer, ops: string[] } {
  let b = Buffer.from(input)
  const ops: string[] = []
  const count = 1 + rng.int(3)
  for (let i = 0; i < count; i++) {
    const op = rng.pick(TERM_MUTATIONS)
    // Mostly past the version byte: a wrong one is one error, quickly covered.
    const at = b.length > 1 && rng.int(16) !== 0 ? 1 + rng.int(b.length - 1) : rng.int(Math.max(1, b.length))
    switch (op) {
      case 'bitflip':
        if (b.length > 0) b[at] ^= 1 << rng.int(8)
        ops.push(`bitflip@${at}`)
        break
      case 'byte':
        if (b.length > 0) b[at] = rng.int(256)
        ops.push(`byte@${at}=${b[at]}`)
        break
      case 'tag': {
        const tag = rng.pick(TAGS)
        if (b.length > 0) b[at] = tag
        ops.push(`tag@${at}=${tag}`)
        break
      }
      case 'insert': {
        const extra = Buffer.from(Array.from({ length: 1 + rng.int(8) }, () => rng.int(2) === 0 ? rng.pick(TAGS) : rng.int(256)))
        b = Buffer.concat([b.subarray(0, at), extra, b.subarray(at)])
        ops.push(`insert@${at}+${extra.length}`)
        break
      }
      case 'delete': {
        const n = 1 + rng.int(Math.min(8, Math.max(1, b.length - at)))
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + n)])
        ops.push(`delete@${at}+${n}`)
        break
      }
      case 'truncate':
        b = b.subarray(0, at)
        ops.push(`truncate@${at}`)
        break
      case 'len32':
      case 'len16':
      case 'len8': {
        const [width, values] = op === 'len32' ? [4, LENGTHS_32] : op === 'len16' ? [2, LENGTHS_16] : [1, LENGTHS_8]
        const v = rng.int(4) === 0 ? rng.u32() % 2 ** (8 * width) : rng.pick(values)
        if (at + width <= b.length) b.writeUIntBE(v, at, width)
        ops.push(`${op}@${at}=${v}`)
        break
      }
      case 'duplicate': {
        const n = 1 + rng.int(Math.min(16, Math.max(1, b.length - at)))
        b = Buffer.concat([b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n)])
        ops.push(`duplicate@${at}+${n}`)
        break
      }
    }
  }
  return { bytes: Buffer.from(b), ops }
}
