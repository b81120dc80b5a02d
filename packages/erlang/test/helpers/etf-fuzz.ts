/**
 * The fuzz oracle shared by the unit-tier and the Erlang-corpus fuzz tests:
 * each mutated term is decoded; the decoder must either give a value (which
 * then encodes and decodes back to an equal term) or throw an
 * EtfDecodeError with one of its codes, never anything else, and each
 * decode must end (a bound far above any real decode's time, so it says
 * "hung", not "slow").
 *
 * ```ts
 * const r = fuzzTerms(corpus, 10_000, seed)   // throws, naming seed, index, mutations and bytes, on the first violation
 * r.accepted; r.byCode                        // what the mutants did
 * ```
 */
import { rngFor } from '@tekka/testing/sim/rng'
import { decode, encode, termEquals, EtfDecodeError, ETF_ERRORS, type Term } from '../../src/index.js'
import { mutateTerm } from './etf-mutate.js'

/** A decode that takes this long is a hang, not a slow machine. */
export const HANG_MS = 10_000

export interface FuzzReport {
  readonly accepted: number
  readonly byCode: Readonly<Record<string, number>>
  readonly maxMs: number
  /** Mutants that decoded, with the value, for a caller's own checks (at most `keepAccepted`). */
  readonly acceptedSamples: ReadonlyArray<{ bytes: Buffer, term: Term, ops: string[] }>
  /** Mutants that did not decode, with the error (at most `keepRefused`). */
  readonly refusedSamples: ReadonlyArray<{ bytes: Buffer, error: EtfDecodeError, ops: string[] }>
}

export function fuzzTerms (corpus: readonly Uint8Array[], count: number, seed: number, keepAccepted = 0, keepRefused = 0): FuzzReport {
  const byCode: Record<string, number> = {}
  const acceptedSamples: Array<{ bytes: Buffer, term: Term, ops: string[] }> = []
  const refusedSamples: Array<{ bytes: Buffer, error: EtfDecodeError, ops: string[] }> = []
  let accepted = 0
  let maxMs = 0
  for (let i = 0; i < count; i++) {
    const { bytes, ops } = mutateTerm(corpus[i % corpus.length], rngFor(seed, i))
    const where = (): string => `seed ${seed} (TEKKA_ETF_FUZZ_SEED), mutant ${i} of corpus term ${i % corpus.length}, ${ops.join(' ')}: ${bytes.subarray(0, 200).toString('hex')}`
    const t0 = performance.now()
    let term: Term
    try {
      term = decode(bytes)
    } catch (err) {
      if (!(err instanceof EtfDecodeError) || !(err.code in ETF_ERRORS)) {
        throw new Error(`decode threw ${String(err)} (not an EtfDecodeError) for ${where()}`, { cause: err })
      }
      byCode[err.code] = (byCode[err.code] ?? 0) + 1
      if (refusedSamples.length < keepRefused) refusedSamples.push({ bytes, error: err, ops })
      continue
    } finally {
      const ms = performance.now() - t0
      if (ms > maxMs) maxMs = ms
      if (ms > HANG_MS) throw new Error(`decode took ${Math.round(ms)} ms for ${where()}`)
    }
    accepted++
    let again: Term
    try {
      again = decode(encode(term))
    } catch (err) {
      throw new Error(`a decoded mutant does not encode and decode back (${String(err)}) for ${where()}`, { cause: err })
    }
    if (!termEquals(again, term)) throw new Error(`a decoded mutant encodes to another term for ${where()}`)
    if (acceptedSamples.length < keepAccepted) acceptedSamples.push({ bytes, term, ops })
  }
  return { accepted, byCode, maxMs, acceptedSamples, refusedSamples }
}
