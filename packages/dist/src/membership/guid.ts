/**
 * Member guids, as ekka_guid / mria_guid make them: 128 bits of
 * `microsecond timestamp (64) | node hash (48) | sequence (16)`, written as
 * 32 hex digits. Fixed width, so comparing the strings compares the numbers,
 * and guid order is age order: the oldest member has the smallest guid.
 */
import { createHash } from 'node:crypto'

let lastMicros = 0n
let seq = 0

/** Microseconds since the epoch, strictly increasing within this process. */
function nowMicros (): bigint {
  const ms = BigInt(Date.now()) * 1000n
  const frac = BigInt(Math.floor((performance.now() % 1) * 1000))
  let t = ms + frac
  if (t <= lastMicros) t = lastMicros + 1n
  lastMicros = t
  return t
}

/** 48 bits of the node name's SHA-1, as 12 hex digits. */
export function nodeHash (node: string): string {
  return createHash('sha1').update(node).digest('hex').slice(0, 12)
}

/** A new guid for `node`. */
export function makeGuid (node: string): string {
  seq = (seq + 1) & 0xffff
  return nowMicros().toString(16).padStart(16, '0') + nodeHash(node) + seq.toString(16).padStart(4, '0')
}

const GUID_RE = /^[0-9a-f]{32}$/

export function isGuid (v: unknown): v is string {
  return typeof v === 'string' && GUID_RE.test(v)
}

/** The time a guid was made, in ms since the epoch. */
export function guidTime (guid: string): number {
  return Number(BigInt('0x' + guid.slice(0, 16)) / 1000n)
}

// Memoized: members() computes it for every member on every call (status, nodelist), and a SHA-1 each time made status() cost ~20 µs per member.
const ringPositions = new Map<string, number>()

/** Position of a node on the 32-bit hash ring (the first 4 bytes of SHA-1 of its name). */
export function ringPosition (node: string): number {
  let p = ringPositions.get(node)
  if (p === undefined) {
    p = createHash('sha1').update(node).digest().readUInt32BE(0)
    if (ringPositions.size >= 4096) ringPositions.clear()
    ringPositions.set(node, p)
  }
  return p
}
