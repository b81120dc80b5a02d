/**
 * Seeded randomness and byte-level mutators for the bad-input tests.
 *
 * ```ts
 * const seed = fuzzSeed()                       // TEKKA_FUZZ_SEED, else random
 * const rng = rngFor(seed, 17)                  // the 17th frame's own stream
 * const { bytes, ops } = mutate(validFrame, rng) // ops: ['bitflip@12', 'delete@3+2']
 * ```
 *
 * Every mutated frame draws from its own stream `rngFor(seed, index)`, so a
 * seed replays the same mutations whatever order concurrent writers take the
 * frames in.
 */
import { envSeed, rngFor, type Rng } from '@tekka/testing/sim/rng'

/** Seeded streams: @tekka/testing's sfc32 streams, bit for bit the ones recorded seeds replay. */
export type { Rng }
export { rngFor }

/** The run's seed: TEKKA_FUZZ_SEED (decimal or 0x hex) when set, else a random 32-bit one. */
export function fuzzSeed (env: NodeJS.ProcessEnv = process.env): number {
  return envSeed('TEKKA_FUZZ_SEED', env)
}

/** msgpack type bytes and boundary values: a random byte rarely hits these, and they are where parsers go wrong. */
const INTERESTING = [
  0x00, 0x01, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xc3, 0xc4, 0xc5, 0xc6, 0xc7, 0xc8, 0xc9,
  0xca, 0xcb, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd3, 0xd4, 0xd5, 0xd6, 0xd7, 0xd8, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf,
  0xe0, 0xff, 0x10, 0x11, 0x12, 0x42, 0x62, 0x65, 0x69, 0x70, 0x73, 0x74, 0x78
]

/** Values for a rewritten length prefix. */
function newLength (old: number, rng: Rng): number {
  switch (rng.int(7)) {
    case 0: return old + 1 + rng.int(16)
    case 1: return Math.max(0, old - 1 - rng.int(16))
    case 2: return rng.u32()
    case 3: return rng.int(0x1_0000)
    case 4: return rng.pick([0, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, 0xffff_fff0, 0x0400_0000, 0x0400_0001, 0x03ff_ffff])
    case 5: return old * 2
    default: return (old ^ (1 << rng.int(32))) >>> 0
  }
}

export const MUTATIONS = ['bitflip', 'byte', 'interesting', 'insert', 'delete', 'truncate', 'length', 'kind', 'duplicate', 'swap'] as const
export type MutationName = typeof MUTATIONS[number]
/** The mutations that make sense inside a frame body (no prefix, no kind byte there). */
export const BODY_MUTATIONS: readonly MutationName[] = MUTATIONS.filter((m) => m !== 'length' && m !== 'kind')

/**
 * A mutated copy of `input` (1 to 3 mutations unless `count` is given), and
 * what was done, for the log of a failing run. `length` rewrites the first
 * length prefix and `kind` the first kind byte; the others work anywhere.
 */
export function mutate (input: Uint8Array, rng: Rng, count = 1 + rng.int(3), allowed: readonly MutationName[] = MUTATIONS): { bytes: Buffer, ops: string[] } {
  let b = Buffer.from(input)
  const ops: string[] = []
  for (let i = 0; i < count; i++) {
    const op = rng.pick(allowed)
    const at = rng.int(Math.max(1, b.length))
    switch (op) {
      case 'bitflip': {
        if (b.length === 0) break
        const bit = rng.int(8)
        b[at] = b[at] ^ (1 << bit)
        ops.push(`bitflip@${at}.${bit}`)
        break
      }
      case 'byte':
        if (b.length === 0) break
        b[at] = rng.int(256)
        ops.push(`byte@${at}=${b[at]}`)
        break
      case 'interesting':
        if (b.length === 0) break
        b[at] = rng.pick(INTERESTING)
        ops.push(`interesting@${at}=${b[at]}`)
        break
      case 'insert': {
        const n = 1 + rng.int(8)
        b = Buffer.concat([b.subarray(0, at), rng.bytes(n), b.subarray(at)])
        ops.push(`insert@${at}+${n}`)
        break
      }
      case 'delete': {
        const n = Math.min(1 + rng.int(8), b.length - at)
        if (n <= 0) break
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + n)])
        ops.push(`delete@${at}+${n}`)
        break
      }
      case 'truncate': {
        if (b.length <= 1) break
        const keep = 1 + rng.int(b.length - 1)
        b = Buffer.from(b.subarray(0, keep))
        ops.push(`truncate@${keep}`)
        break
      }
      case 'length': {
        if (b.length < 4) break
        const len = newLength(b.readUInt32BE(0), rng) >>> 0
        b.writeUInt32BE(len, 0)
        ops.push(`length=${len}`)
        break
      }
      case 'kind':
        if (b.length < 5) break
        b[4] = rng.chance(0.5) ? rng.int(6) : rng.int(256)
        ops.push(`kind=${b[4]}`)
        break
      case 'duplicate': {
        if (b.length === 0) break
        const from = rng.int(b.length)
        const n = Math.min(1 + rng.int(16), b.length - from)
        b = Buffer.concat([b.subarray(0, at), b.subarray(from, from + n), b.subarray(at)])
        ops.push(`duplicate@${from}+${n}->${at}`)
        break
      }
      case 'swap': {
        if (b.length < 2) break
        const other = rng.int(b.length)
        const t = b[at]
        b[at] = b[other]!
        b[other] = t
        ops.push(`swap@${at},${other}`)
        break
      }
    }
  }
  // Something must change, or the frame is not a mutated one.
  if (ops.length === 0 || b.equals(input)) return mutate(input, rng, 1, allowed)
  return { bytes: b, ops }
}

/**
 * A mutated copy of one frame (`kind` byte and msgpack `body`): half the time
 * the whole frame is mutated as bytes (its prefix may then lie), half the
 * time only the body is and the prefix is rewritten to match, so the stream
 * stays in step and the mutation reaches the decoder and the kernel.
 */
export function mutateFrame (frame: Uint8Array, rng: Rng): { bytes: Buffer, ops: string[] } {
  if (frame.length < 6 || rng.chance(0.5)) return mutate(frame, rng)
  const { bytes: body, ops } = mutate(frame.subarray(5), rng, 1 + rng.int(3), BODY_MUTATIONS)
  const head = Buffer.from(frame.subarray(0, 5))
  head.writeUInt32BE(body.length + 1, 0)
  return { bytes: Buffer.concat([head, body]), ops: ['in-body', ...ops] }
}
