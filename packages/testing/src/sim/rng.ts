/**
 * Seeded randomness for tests: the same seed gives the same draws, so a
 * failing run is replayed from its seed. One `Rng` class over two small
 * generators, each kept bit for bit because recorded seeds depend on it:
 *
 * - `new Rng(seed)` / `mulberry32(seed)`: the cluster simulation's (heal's
 *   test/sim; every simulation seed is a schedule drawn from it).
 * - `sfc32(a, b, c, d)` / `rngFor(seed, stream)`: Chris Doty-Humphrey's
 *   Small Fast Counter, with the stream layout of dist's bad-input fuzz
 *   tests (`rngFor(seed, index)` is frame `index`'s own stream).
 *
 * ```ts
 * const rng = new Rng(42)
 * rng.int(6); rng.pick(['a', 'b']); rng.shuffle(nodes)
 * const child = rng.fork()              // its draws do not shift rng's
 * const frame = rngFor(envSeed('TEKKA_FUZZ_SEED'), 17)
 * frame.u32(); frame.bytes(8)
 * ```
 *
 * Every draw derives from `u32()`: `float()` is u32 / 2^32, `int(n)` is
 * floor(float × n), so the two generators answer the same methods.
 */
import { BadArgError } from '@tekka/actors'

/** The core of a generator: uniform unsigned 32-bit integers. */
export type U32Source = () => number

const TWO_32 = 0x1_0000_0000

export class Rng {
  readonly #u32: U32Source
  readonly #fork: (parent: Rng) => Rng

  /** `seed`: mulberry32 (the simulation's generator); a function: draws from that source, forks mulberry32. */
  constructor (seed: number | U32Source, fork?: (parent: Rng) => Rng) {
    this.#u32 = typeof seed === 'number' ? mulberry32Source(seed) : seed
    this.#fork = fork ?? ((parent) => new Rng(parent.int(TWO_32)))
  }

  /** A uniform unsigned 32-bit integer. */
  u32 (): number {
    return this.#u32()
  }

  /** Uniform in [0, 1). */
  float (): number {
    return this.#u32() / TWO_32
  }

  /** Uniform in [0, 1) (the same as `float`). */
  next (): number {
    return this.#u32() / TWO_32
  }

  /** Integer in [0, n). */
  int (n: number): number {
    return Math.floor((this.#u32() / TWO_32) * n)
  }

  /** Number in [lo, hi). */
  range (lo: number, hi: number): number {
    return lo + (this.#u32() / TWO_32) * (hi - lo)
  }

  /** True with probability p. */
  chance (p: number): boolean {
    return this.#u32() / TWO_32 < p
  }

  pick<T> (xs: readonly T[]): T {
    return xs[this.int(xs.length)]
  }

  shuffle<T> (xs: readonly T[]): T[] {
    const out = [...xs]
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      ;[out[i], out[j]] = [out[j], out[i]]
    }
    return out
  }

  /** `n` random bytes (one draw each). */
  bytes (n: number): Buffer {
    const out = Buffer.allocUnsafe(n)
    for (let i = 0; i < n; i++) out[i] = this.#u32() & 0xff
    return out
  }

  /** A child generator of the same kind, so one part's draws do not shift another's. */
  fork (): Rng {
    return this.#fork(this)
  }
}

function mulberry32Source (seed: number): U32Source {
  let s = (seed >>> 0) ^ 0x9e3779b9
  return () => {
    let t = (s = (s + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
}

/** mulberry32, the simulation's generator (the same as `new Rng(seed)`). */
export function mulberry32 (seed: number): Rng {
  return new Rng(seed)
}

/** sfc32 from four 32-bit words (twelve draws are skipped first, as dist's fuzz tests do); forks are sfc32 too. */
export function sfc32 (a: number, b: number, c: number, d: number): Rng {
  a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0
  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0
    d = (d + 1) >>> 0
    a = b ^ (b >>> 9)
    b = (c + (c << 3)) >>> 0
    c = ((c << 21) | (c >>> 11)) >>> 0
    c = (c + t) >>> 0
    return t
  }
  for (let i = 0; i < 12; i++) u32()
  return new Rng(u32, (parent) => sfc32(parent.u32(), parent.u32(), parent.u32(), parent.u32()))
}

/** The stream of randomness number `stream` of a run with `seed` (sfc32; dist's fuzz layout). */
export function rngFor (seed: number, stream: number): Rng {
  return sfc32(seed, stream, 0x9e37_79b9 ^ stream, 0x85eb_ca6b ^ seed)
}

/**
 * A run's seed: the environment variable `name` (decimal or 0x hex, 32-bit
 * unsigned) when set, else a random one. Print it with a failure so the run
 * can be replayed.
 */
export function envSeed (name: string, env: NodeJS.ProcessEnv = process.env): number {
  const text = env[name]
  if (text !== undefined && text !== '') {
    const n = Number(text)
    if (!Number.isInteger(n) || n < 0 || n > 0xffff_ffff) throw new BadArgError(`${name} must be a 32-bit unsigned integer, got ${JSON.stringify(text)}`, name)
    return n
  }
  return Math.floor(Math.random() * TWO_32)
}
