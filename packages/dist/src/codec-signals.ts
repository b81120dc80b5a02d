/**
 * Signals, by hand: the codec's fast path for short arrays of small values
 * (`[SEND, from, to, msg]`, the message often a string or a number).
 *
 * Such an array, when every element is null, a boolean, an unsigned 32-bit
 * integer, an ASCII string or a pid or ref, is written and read here, byte
 * for byte as msgpackr writes it, without msgpackr's per-call setup, its
 * walk through the extension table for each pid, or its JavaScript UTF-8
 * decoder (an ASCII string is one native latin1 slice). When only the last
 * element is something else, the rest is still done here and msgpackr does
 * that one (see codec.ts). Anything else is msgpackr's.
 *
 * At a million messages a second these costs were most of a remote send, so
 * the reader keeps caches: node names by their bytes (a pid's node is nearly
 * always one of a few) and recent pids (a pid read again is the same
 * object). All of it is state of one SignalCodec, so each codec, and each
 * connection, has its own.
 */
import { Pid, Ref } from '@tekka/actors'
import { EXT_PID, EXT_REF, isUint32, writeIdentifierRest, writeUint, type NodeStrings } from './codec-ids.js'

/** Elements of an array written or read by hand, at most (fixarray). */
export const MAX_SIGNAL_LENGTH = 15
/** Strings longer than this are left to msgpackr (its encoder then uses Buffer#utf8Write). */
const MAX_HAND_STRING = 0xff
const NODE_NAME_SLOTS = 32
const PID_CACHE_SLOTS = 256

/** The string in `d[start..end)` if it is ASCII (as UTF-8 it then reads the same), else undefined. */
function readAscii (d: Buffer, start: number, end: number): string | undefined {
  for (let i = start; i < end; i++) if (d[i] >= 0x80) return undefined
  if (end - start < 8) {
    let s = ''
    for (let i = start; i < end; i++) s += String.fromCharCode(d[i])
    return s
  }
  return (d as unknown as { latin1Slice(start: number, end: number): string }).latin1Slice(start, end)
}

export class SignalCodec {
  /** What the last successful readSimple read, and where it ended. */
  value: unknown
  end = 0
  /** The value of the last readUint. */
  #uint = 0
  readonly #strings: NodeStrings
  /** Node names read recently, by their bytes. */
  readonly #nodeNames: Array<{ bytes: Uint8Array, name: string } | undefined> = new Array(NODE_NAME_SLOTS)
  /**
   * Pids read recently. A pid is an immutable value, so the same pid read
   * again (every message to a process names it) can be the same object and
   * cost no allocation. Node names are interned by #readNodeName, so
   * comparing them is comparing pointers.
   */
  readonly #pids: Array<Pid | undefined> = new Array(PID_CACHE_SLOTS)

  /** `strings`: the codec's node-name strings, shared with its msgpackr pid writer. */
  constructor (strings: NodeStrings) {
    this.#strings = strings
  }

  /**
   * Writes the array `value` into `target[start..limit)` when every element
   * is simple and it fits; returns where it ended, or -1 (nothing useful is
   * written).
   */
  writeArray (value: unknown, target: Uint8Array, start: number, limit: number): number {
    if (!Array.isArray(value) || value.constructor !== Array) return -1
    const arr = value as unknown[]
    const n = arr.length
    if (n < 1 || n > MAX_SIGNAL_LENGTH || start >= limit) return -1
    target[start] = 0x90 | n
    let p = start + 1
    for (let i = 0; i < n && p >= 0; i++) p = this.writeSimple(target, p, arr[i], limit)
    return p
  }

  /**
   * Writes `v` at `p` if it is a simple value and fits before `limit`;
   * returns the position after it, or -1 (msgpackr must write it).
   */
  writeSimple (t: Uint8Array, p: number, v: unknown, limit: number): number {
    if (p + 5 > limit) return -1
    if (v === null) { t[p] = 0xc0; return p + 1 }
    if (v === true) { t[p] = 0xc3; return p + 1 }
    if (v === false) { t[p] = 0xc2; return p + 1 }
    if (typeof v === 'number') return isUint32(v) ? writeUint(t, p, v) : -1
    if (typeof v === 'string') {
      const n = v.length
      if (n > MAX_HAND_STRING || p + 2 + n > limit) return -1
      if (n < 0x20) t[p++] = 0xa0 | n
      else { t[p++] = 0xd9; t[p++] = n }
      for (let i = 0; i < n; i++) {
        const c = v.charCodeAt(i)
        if (c >= 0x80) return -1
        t[p++] = c
      }
      return p
    }
    if (v instanceof Pid || v instanceof Ref) {
      const { node, id, creation } = v
      if (typeof node !== 'string' || !isUint32(id) || !isUint32(creation)) return -1
      const str = this.#strings.get(node)
      if (p + 14 + str.length > limit) return -1
      t[p++] = 0xd4; t[p++] = v instanceof Pid ? EXT_PID : EXT_REF; t[p++] = 0; t[p++] = 0x93
      return writeIdentifierRest(t, p, str, v)
    }
    return -1
  }

  /** Reads a simple value at `p` (before `end`) into `value` / `end`; false when msgpackr must read it. */
  readSimple (d: Buffer, p: number, end: number): boolean {
    const b = d[p]
    if (b < 0x80) { this.value = b; this.end = p + 1; return true }
    if (b === 0xc0 || b === 0xc2 || b === 0xc3) { this.value = b === 0xc0 ? null : b === 0xc3; this.end = p + 1; return true }
    if (b === 0xcc || b === 0xcd || b === 0xce) {
      const q = this.#readUint(d, p, end)
      if (q < 0) return false
      this.value = this.#uint
      this.end = q
      return true
    }
    if ((b & 0xe0) === 0xa0 || b === 0xd9) {
      const len = b === 0xd9 ? (p + 1 < end ? d[p + 1] : end) : b & 0x1f
      const q = p + (b === 0xd9 ? 2 : 1)
      if (q + len > end) return false
      const str = readAscii(d, q, q + len)
      if (str === undefined) return false
      this.value = str
      this.end = q + len
      return true
    }
    // fixext 1 pid / ref tag, then `[node (ASCII fixstr or str 8), id, creation]`
    if (b !== 0xd4 || p + 5 >= end || d[p + 2] !== 0 || d[p + 3] !== 0x93) return false
    const type = d[p + 1]
    if (type !== EXT_PID && type !== EXT_REF) return false
    let q = p + 4
    const h = d[q]
    let len: number
    if ((h & 0xe0) === 0xa0) { len = h & 0x1f; q += 1 } else if (h === 0xd9) { len = d[q + 1]!; q += 2 } else return false
    if (q + len > end) return false
    const node = this.#readNodeName(d, q, q + len)
    if (node === undefined) return false
    q = this.#readUint(d, q + len, end)
    if (q < 0) return false
    const id = this.#uint
    q = this.#readUint(d, q, end)
    if (q < 0) return false
    this.value = type === EXT_PID ? this.#cachedPid(node, id, this.#uint) : new Ref(node, id, this.#uint)
    this.end = q
    return true
  }

  /** The node name in `d[start..end)` (ASCII), the same string as last time for the same bytes. */
  #readNodeName (d: Buffer, start: number, end: number): string | undefined {
    const n = end - start
    const slot = (n * 7 + (n > 0 ? d[start] + d[end - 1] * 3 : 0)) & (NODE_NAME_SLOTS - 1)
    const hit = this.#nodeNames[slot]
    if (hit !== undefined && hit.bytes.length === n) {
      const b = hit.bytes
      let i = n - 1
      while (i >= 0 && b[i] === d[start + i]) i--
      if (i < 0) return hit.name
    }
    const name = readAscii(d, start, end)
    // A copy: `d` is (a view of) the socket's chunk.
    if (name !== undefined) this.#nodeNames[slot] = { bytes: Uint8Array.prototype.slice.call(d, start, end), name }
    return name
  }

  #cachedPid (node: string, id: number, creation: number): Pid {
    const slot = (id ^ creation ^ node.length) & (PID_CACHE_SLOTS - 1)
    const hit = this.#pids[slot]
    if (hit !== undefined && hit.id === id && hit.creation === creation && hit.node === node) return hit
    const pid = new Pid(node, id, creation)
    this.#pids[slot] = pid
    return pid
  }

  /** Reads a msgpack unsigned integer of up to 32 bits at `p` into #uint; returns the position after it, or -1. */
  #readUint (d: Uint8Array, p: number, end: number): number {
    if (p >= end) return -1
    const b = d[p]
    if (b < 0x80) { this.#uint = b; return p + 1 }
    if (b === 0xcc && p + 1 < end) { this.#uint = d[p + 1]!; return p + 2 }
    if (b === 0xcd && p + 2 < end) { this.#uint = (d[p + 1] << 8) | d[p + 2]; return p + 3 }
    if (b === 0xce && p + 4 < end) { this.#uint = d[p + 1] * 0x100_0000 + ((d[p + 2] << 16) | (d[p + 3] << 8) | d[p + 4]); return p + 5 }
    return -1
  }
}
