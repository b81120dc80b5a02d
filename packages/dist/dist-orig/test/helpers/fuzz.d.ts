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
export interface Rng {
    /** A uniform unsigned 32-bit integer. */
    u32(): number;
    /** A uniform float in [0, 1). */
    float(): number;
    /** A uniform integer in [0, n). */
    int(n: number): number;
    /** True with probability p. */
    chance(p: number): boolean;
    pick<T>(items: readonly T[]): T;
    bytes(n: number): Buffer;
}
/** sfc32 (Chris Doty-Humphrey's Small Fast Counter): tiny, fast, good enough to fuzz with. */
export declare function sfc32(a: number, b: number, c: number, d: number): Rng;
/** The stream of randomness number `stream` of a run with `seed`. */
export declare function rngFor(seed: number, stream: number): Rng;
/** The run's seed: TEKKA_FUZZ_SEED (decimal or 0x hex) when set, else a random 32-bit one. */
export declare function fuzzSeed(env?: NodeJS.ProcessEnv): number;
export declare const MUTATIONS: readonly ["bitflip", "byte", "interesting", "insert", "delete", "truncate", "length", "kind", "duplicate", "swap"];
export type MutationName = typeof MUTATIONS[number];
/** The mutations that make sense inside a frame body (no prefix, no kind byte there). */
export declare const BODY_MUTATIONS: readonly MutationName[];
/**
 * A mutated copy of `input` (1 to 3 mutations unless `count` is given), and
 * what was done, for the log of a failing run. `length` rewrites the first
 * length prefix and `kind` the first kind byte; the others work anywhere.
 */
export declare function mutate(input: Uint8Array, rng: Rng, count?: number, allowed?: readonly MutationName[]): {
    bytes: Buffer;
    ops: string[];
};
/**
 * A mutated copy of one frame (`kind` byte and msgpack `body`): half the time
 * the whole frame is mutated as bytes (its prefix may then lie), half the
 * time only the body is and the prefix is rewritten to match, so the stream
 * stays in step and the mutation reaches the decoder and the kernel.
 */
export declare function mutateFrame(frame: Uint8Array, rng: Rng): {
    bytes: Buffer;
    ops: string[];
};
//# sourceMappingURL=fuzz.d.ts.map