/** A small seeded PRNG (mulberry32): the same seed gives the same run. */
export class Rng {
  #s: number

  constructor (seed: number) {
    this.#s = (seed >>> 0) ^ 0x9e3779b9
  }

  /** Uniform in [0, 1). */
  next (): number {
    let t = (this.#s = (this.#s + 0x6d2b79f5) >>> 0)
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Integer in [0, n). */
  int (n: number): number {
    return Math.floor(this.next() * n)
  }

  /** Number in [lo, hi). */
  range (lo: number, hi: number): number {
    return lo + this.next() * (hi - lo)
  }

  chance (p: number): boolean {
    return this.next() < p
  }

  pick<T> (xs: readonly T[]): T {
    return xs[this.int(xs.length)]!
  }

  shuffle<T> (xs: readonly T[]): T[] {
    const out = [...xs]
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1)
      ;[out[i], out[j]] = [out[j]!, out[i]!]
    }
    return out
  }

  /** A child generator, so one part's draws do not shift another's. */
  fork (): Rng {
    return new Rng(this.int(2 ** 32))
  }
}
