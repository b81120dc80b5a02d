/**
 * Pids and refs on the wire: msgpack extensions 0x10 (Pid) and 0x11 (Ref),
 * each a fixext 1 tag followed by `[node, id, creation]`.
 *
 * Every SEND carries one or two pids, so they are written by hand: the same
 * bytes msgpackr writes for that array, with the node name's msgpack string
 * cached (`NodeStrings`, one per codec) rather than encoded each time.
 */
import type { Pid, Ref } from '@tekka/actors'

export const EXT_PID = 0x10
export const EXT_REF = 0x11

/** What msgpackr hands an extension's `pack`. */
export type Allocate = (size: number) => { target: Uint8Array, position: number }
export type PackFn = (value: unknown) => void

/** The fields of a Pid or a Ref. */
export interface Identifier { node: string, id: number, creation: number }

export const isUint32 = (n: unknown): n is number => typeof n === 'number' && n >= 0 && n <= 0xffff_ffff && Number.isInteger(n)

/** Bytes msgpackr writes for a uint32 (fixint below 0x80, as with useRecords off). */
export const uintSize = (n: number): number => n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : 5

/** Writes the msgpack uint `n` (isUint32) at `p`; returns the position after it. */
export function writeUint (t: Uint8Array, p: number, n: number): number {
  if (n < 0x80) {
    t[p] = n
    return p + 1
  }
  if (n < 0x100) {
    t[p] = 0xcc; t[p + 1] = n
    return p + 2
  }
  if (n < 0x10000) {
    t[p] = 0xcd; t[p + 1] = n >>> 8; t[p + 2] = n & 0xff
    return p + 3
  }
  t[p] = 0xce; t[p + 1] = n >>> 24; t[p + 2] = (n >>> 16) & 0xff; t[p + 3] = (n >>> 8) & 0xff; t[p + 4] = n & 0xff
  return p + 5
}

const NODE_STRINGS_MAX = 1024
const EMPTY = Buffer.alloc(0)

/** msgpack str (header and UTF-8 bytes) of the node names a codec wrote recently. */
export class NodeStrings {
  readonly #all = new Map<string, Buffer>()
  /** The names last written, most recent first: a linear look-up beats the Map for the few a link sees. */
  readonly #recentNodes: string[] = ['', '', '', '']
  readonly #recentStrings: Buffer[] = [EMPTY, EMPTY, EMPTY, EMPTY]

  get (node: string): Buffer {
    const nodes = this.#recentNodes
    for (let i = 0; i < 4; i++) if (nodes[i] === node) return this.#recentStrings[i]
    let b = this.#all.get(node)
    if (b === undefined) {
      const utf8 = Buffer.from(node, 'utf8')
      const n = utf8.length
      const head = n < 0x20 ? [0xa0 | n] : n < 0x100 ? [0xd9, n] : [0xda, n >> 8, n & 0xff]
      b = Buffer.concat([Buffer.from(head), utf8])
      if (this.#all.size >= NODE_STRINGS_MAX) this.#all.clear()
      this.#all.set(node, b)
    }
    nodes.pop(); nodes.unshift(node)
    this.#recentStrings.pop(); this.#recentStrings.unshift(b)
    return b
  }
}

/** Writes `[node, id, creation]` of `v` at `p` (the tag already written), `str` being its node's msgpack string. */
export function writeIdentifierRest (t: Uint8Array, p: number, str: Buffer, v: Identifier): number {
  for (let i = 0; i < str.length; i++) t[p++] = str[i]!
  return writeUint(t, writeUint(t, p, v.id), v.creation)
}

/** Whether the fields are the usual ones, so the bytes can be written by hand. */
export function isPlainIdentifier (v: Identifier): boolean {
  return typeof v.node === 'string' && isUint32(v.id) && isUint32(v.creation)
}

/**
 * The `pack` of the Pid or Ref extension: by hand with the codec's node
 * strings (`strings` finds them from the Packr, msgpackr's `this`), else, for
 * unusual fields or another msgpackr user's Packr, the array through msgpackr.
 */
export function packIdentifier (type: number, strings: (packr: unknown) => NodeStrings | undefined) {
  return function (this: unknown, v: Identifier, allocate: Allocate, pack: PackFn): void {
    const cache = strings(this)
    if (cache === undefined || !isPlainIdentifier(v)) {
      const { target, position } = allocate(3)
      target[position] = 0xd4; target[position + 1] = type; target[position + 2] = 0
      pack([v.node, v.id, v.creation])
      return
    }
    const str = cache.get(v.node)
    const { target, position } = allocate(4 + str.length + uintSize(v.id) + uintSize(v.creation))
    let p = position
    target[p++] = 0xd4; target[p++] = type; target[p++] = 0; target[p++] = 0x93
    writeIdentifierRest(target, p, str, v)
  }
}

function isCount (v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
}

/** The `read` of the Pid or Ref extension: `[node, id, creation]`, checked. */
export function readIdentifier<T extends Pid | Ref> (what: string, Ctor: new (node: string, id: number, creation: number) => T) {
  return (data: unknown): T => {
    if (!Array.isArray(data) || data.length !== 3 || typeof data[0] !== 'string' || !isCount(data[1]) || !isCount(data[2])) {
      throw new TypeError(`malformed ${what} extension`)
    }
    return new Ctor(data[0], data[1], data[2])
  }
}
