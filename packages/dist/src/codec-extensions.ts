/**
 * The codec's msgpack extensions (Pid 0x10, Ref 0x11, Error 0x12),
 * registered with msgpackr once per process.
 *
 * Why once, and process-wide: msgpackr keeps its extension table in its own
 * module state, shared by every Packr in the process; it has no table per
 * instance. So this is the one piece of codec state that is not per codec
 * object. Everything that differs between codecs reaches the extension
 * writers through the Packr itself, which msgpackr passes as `this`: a
 * codec's Packr carries its `PackrState` under a symbol, and a Packr
 * without one (another msgpackr user's) gets msgpackr's own encodings. The
 * readers get no `this` and keep no state.
 */
import { addExtension, type Packr } from 'msgpackr'
import { Pid, Ref } from '@tekka/actors'
import { EXT_PID, EXT_REF, packIdentifier, readIdentifier, type NodeStrings } from './codec-ids.js'
import { EXT_ERROR, packError, readError } from './codec-errors.js'

/** What a codec's Packr carries for the extension writers. */
export interface PackrState {
  readonly nodeStrings: NodeStrings
}

const STATE = Symbol.for('tekka.dist.codec')

function stateOf (packr: unknown): PackrState | undefined {
  return (packr as Record<symbol, PackrState | undefined> | undefined)?.[STATE]
}

/** Marks `packr` as a codec's, with its state. */
export function attachState (packr: Packr, state: PackrState): void {
  (packr as unknown as Record<symbol, PackrState>)[STATE] = state
}

let registered = false

/** Registers the extensions on first use (so importing the codec has no side effect). */
export function registerExtensions (): void {
  if (registered) return
  registered = true
  const strings = (packr: unknown): NodeStrings | undefined => stateOf(packr)?.nodeStrings
  // msgpackr's typings know only the one-argument form of `pack`.
  type Pack = (v: unknown) => Buffer
  addExtension({ Class: Pid, type: EXT_PID, pack: packIdentifier(EXT_PID, strings) as unknown as Pack, read: readIdentifier('pid', Pid) })
  addExtension({ Class: Ref, type: EXT_REF, pack: packIdentifier(EXT_REF, strings) as unknown as Pack, read: readIdentifier('ref', Ref) })
  addExtension({ Class: Error, type: EXT_ERROR, pack: packError((packr) => stateOf(packr) !== undefined) as unknown as Pack, read: readError })
}
