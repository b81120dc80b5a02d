/**
 * Valid frames for the fuzzer to mutate: every signal the kernel accepts,
 * from a peer to the node under test, framed as Connection frames them
 * (DATA or CONTROL, sometimes a fragmented DATA message, sometimes a tick).
 *
 * ```ts
 * const unit = validUnit(ctx, rng)   // { what: 'LINK', bytes }
 * peer.write(mutate(unit.bytes, rng).bytes)
 * ```
 *
 * The targets are processes the test spawned for the purpose. Exit reasons
 * are never `kill` (nor one bit away from it), so a frame that a mutation
 * leaves valid cannot kill a trapping target.
 */
import { Pid } from '@tekka/actors';
import type { Codec } from '../../src/codec.js';
import { type Rng } from './fuzz.js';
export interface FrameContext {
    codec: Codec;
    /** The fake peer's name and creation (senders, watchers, refs). */
    peer: string;
    creation: number;
    /** The node under test: its name and creation. */
    local: string;
    localCreation: number;
    /** Processes that trap exits: targets of every signal. */
    trapping: readonly Pid[];
    /** Processes that only take messages (SEND targets). */
    sinks: readonly Pid[];
    /** A registered name on the node (REG_SEND, monitors by name). */
    regName: string;
}
/** A random msgpack-able value, up to `depth` levels of nesting. */
export declare function randomValue(rng: Rng, ctx: FrameContext, depth?: number): unknown;
/**
 * One valid unit: usually one frame (DATA or CONTROL; `single`, with its
 * signal as `value`), sometimes a fragmented message (several frames),
 * sometimes a tick.
 */
export declare function validUnit(ctx: FrameContext, rng: Rng): {
    what: string;
    bytes: Buffer;
    single: boolean;
    kind: number;
    value?: unknown[];
};
/**
 * A signal with its fields mutated (replaced, dropped, added, swapped, the
 * tag changed, a pid swapped for another node's), still well-formed msgpack:
 * this is what reaches `parseSignal` and the runtime rather than the decoder.
 */
export declare function mutateFields(value: readonly unknown[], ctx: FrameContext, rng: Rng): {
    value: unknown;
    ops: string[];
};
/**
 * One mutated unit, ready to write: a valid unit (see validUnit) with a
 * fifth of the single frames mutated at the field level (mutateFields,
 * re-encoded and framed), the others at the byte level (mutateFrame: the
 * whole frame, or just its body with the prefix fixed up), and units of
 * several frames mutated as bytes (mutate).
 */
export declare function mutatedUnit(ctx: FrameContext, rng: Rng): {
    what: string;
    bytes: Buffer;
    ops: string[];
};
//# sourceMappingURL=fuzz-frames.d.ts.map