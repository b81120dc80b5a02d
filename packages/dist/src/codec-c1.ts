/**
 * Byte 0xc1 is "never used" in MessagePack, but msgpackr decodes it to a
 * placeholder object instead of failing. The codec refuses it: only a body
 * that holds the byte somewhere (rare; found by a native search) is walked
 * for the placeholder, so the common case costs one scan of the bytes.
 */
import { C1 } from 'msgpackr'

/** Bodies at most this long are searched by a plain loop (no view to allocate, no native call). */
const SHORT_BODY = 256

/** `value`, decoded from `buf[start..end)`; throws RangeError if it holds msgpackr's placeholder for 0xc1. */
export function refuseC1 (value: unknown, buf: Uint8Array, start: number, end: number): unknown {
  if (holdsC1Byte(buf, start, end) && holdsC1(value, 0)) throw new RangeError('byte 0xc1, which MessagePack never uses')
  return value
}

/**
 * Whether byte 0xc1 occurs in `buf[start..end)`. Bodies are decoded where
 * they lie in a socket chunk and indexOf has no end bound, so a long body is
 * searched through a view of just that body: never to the chunk's end once
 * per frame.
 */
function holdsC1Byte (buf: Uint8Array, start: number, end: number): boolean {
  if (end - start <= SHORT_BODY) {
    for (let i = start; i < end; i++) if (buf[i] === 0xc1) return true
    return false
  }
  return buf.subarray(start, end).indexOf(0xc1) !== -1
}

/** Whether a decoded value holds msgpackr's placeholder for the unused byte 0xc1. */
function holdsC1 (v: unknown, depth: number): boolean {
  if (v === C1) return true
  if (typeof v !== 'object' || v === null || depth > 200 || ArrayBuffer.isView(v)) return false
  if (Array.isArray(v)) {
    for (const x of v) if (holdsC1(x, depth + 1)) return true
    return false
  }
  if (v instanceof Map) {
    for (const [k, x] of v) if (holdsC1(k, depth + 1) || holdsC1(x, depth + 1)) return true
    return false
  }
  if (v instanceof Set) {
    for (const x of v) if (holdsC1(x, depth + 1)) return true
    return false
  }
  for (const k in v) if (holdsC1((v as Record<string, unknown>)[k], depth + 1)) return true
  return false
}
