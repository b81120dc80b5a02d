/**
 * DNS messages on the wire (RFC 1035), only as much as the dns strategy
 * needs: encoding one query, and decoding the header, the question and the
 * answer section of a response. The authority and additional sections are
 * never read.
 *
 * The decoder is strict, because a server's answer is input from the
 * network:
 *
 * - every length is checked against the packet, and a record's data must be
 *   exactly its `rdlength` (an A record of 3 bytes is an error, not an
 *   address read from the bytes that follow);
 * - a compression pointer must point before the labels that hold it, so a
 *   name cannot loop, and a name is at most 255 bytes;
 * - label bytes other than letters, digits, `-` and `_` come out escaped as
 *   in zone files (`\.`, `\\`, `\032`), so one label holding a dot cannot
 *   pass for two labels, nor a name with odd bytes for a hostname.
 *
 * Why not dns-packet's decoder: it reads fixed-size record data without
 * checking `rdlength` and joins labels without escaping dots, so a malformed
 * or crafted answer could decode into a plausible wrong address or name.
 */
import { DnsWireError } from './errors.js'

/** Record type numbers the strategy uses. */
export const TYPE = { A: 1, CNAME: 5, AAAA: 28, SRV: 33 } as const
export const CLASS_IN = 1
export type QueryType = 'A' | 'AAAA' | 'SRV'

const TYPE_NAMES: Record<number, string> = {
  1: 'A', 2: 'NS', 5: 'CNAME', 6: 'SOA', 12: 'PTR', 13: 'HINFO', 15: 'MX', 16: 'TXT', 28: 'AAAA', 33: 'SRV', 35: 'NAPTR', 39: 'DNAME', 41: 'OPT', 43: 'DS', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 64: 'SVCB', 65: 'HTTPS', 255: 'ANY'
}
const RCODE_NAMES = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE']

export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const

/** `A`, `TXT`, or `TYPE99` for a type without a name here. */
export function typeName (type: number): string {
  return TYPE_NAMES[type] ?? `TYPE${type}`
}

/** `SERVFAIL`, or `RCODE12`. */
export function rcodeName (rcode: number): string {
  return RCODE_NAMES[rcode] ?? `RCODE${rcode}`
}

export interface Question {
  /** Escaped presentation form, without the trailing dot (`nodes.example.com`; the root is ``). */
  readonly name: string
  readonly type: number
  readonly class: number
}

export type RecordData =
  | { readonly kind: 'A', readonly address: string }
  | { readonly kind: 'AAAA', readonly address: string }
  | { readonly kind: 'CNAME', readonly target: string }
  | { readonly kind: 'SRV', readonly priority: number, readonly weight: number, readonly port: number, readonly target: string }
  | { readonly kind: 'other' }

export interface ResourceRecord {
  readonly name: string
  readonly type: number
  readonly class: number
  readonly ttl: number
  readonly data: RecordData
}

export interface Message {
  readonly id: number
  /** QR: an answer, not a query. */
  readonly response: boolean
  readonly opcode: number
  /** TC: the answer did not fit (ask again over TCP). */
  readonly truncated: boolean
  readonly rcode: number
  readonly questions: Question[]
  readonly answers: ResourceRecord[]
}

const MAX_NAME = 255
const MAX_LABEL = 63

/** The query packet: one question, class IN, recursion desired. Throws DnsWireError for a name that cannot be sent. */
export function encodeQuery (id: number, name: string, type: QueryType): Buffer {
  if (!Number.isInteger(id) || id < 0 || id > 0xffff) throw new DnsWireError(`query id must be 0..65535, got ${id}`)
  const labels = name.replace(/\.$/, '').split('.')
  if (labels.length === 1 && labels[0] === '') throw new DnsWireError('cannot query the root name')
  const parts: Buffer[] = []
  let length = 1
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii')
    if (bytes.length === 0 || bytes.length > MAX_LABEL || !/^[\x21-\x7e]+$/.test(label)) throw new DnsWireError(`bad label ${JSON.stringify(label)} in ${JSON.stringify(name)}`)
    parts.push(Buffer.from([bytes.length]), bytes)
    length += 1 + bytes.length
  }
  if (length > MAX_NAME) throw new DnsWireError(`name longer than ${MAX_NAME} bytes: ${JSON.stringify(name)}`)
  const header = Buffer.alloc(12)
  header.writeUInt16BE(id, 0)
  header.writeUInt16BE(0x0100, 2) // RD
  header.writeUInt16BE(1, 4) // one question
  const tail = Buffer.alloc(5)
  tail.writeUInt8(0, 0)
  tail.writeUInt16BE(TYPE[type], 1)
  tail.writeUInt16BE(CLASS_IN, 3)
  return Buffer.concat([header, ...parts, tail])
}

/** Decodes the header, questions and answers of `buf`; throws DnsWireError naming what is wrong. */
export function decodeMessage (buf: Buffer): Message {
  if (buf.length < 12) throw new DnsWireError(`${buf.length} bytes, shorter than a DNS header (12)`)
  const flags = buf.readUInt16BE(2)
  const qdcount = buf.readUInt16BE(4)
  const ancount = buf.readUInt16BE(6)
  let pos = 12
  const questions: Question[] = []
  for (let i = 0; i < qdcount; i++) {
    const n = readName(buf, pos, `question ${i + 1}`)
    pos = n.next
    need(buf, pos, 4, `question ${i + 1}`)
    questions.push({ name: n.name, type: buf.readUInt16BE(pos), class: buf.readUInt16BE(pos + 2) })
    pos += 4
  }
  const answers: ResourceRecord[] = []
  for (let i = 0; i < ancount; i++) {
    const where = `answer ${i + 1}`
    const n = readName(buf, pos, where)
    pos = n.next
    need(buf, pos, 10, where)
    const type = buf.readUInt16BE(pos)
    const klass = buf.readUInt16BE(pos + 2)
    const ttl = buf.readUInt32BE(pos + 4)
    const rdlength = buf.readUInt16BE(pos + 8)
    pos += 10
    need(buf, pos, rdlength, `${where} (${typeName(type)} of ${n.name || '.'}): data of ${rdlength} bytes`)
    const data = readData(buf, pos, rdlength, type, `${where} (${typeName(type)} of ${n.name || '.'})`)
    pos += rdlength
    answers.push({ name: n.name, type, class: klass, ttl, data })
  }
  return {
    id: buf.readUInt16BE(0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    truncated: (flags & 0x0200) !== 0,
    rcode: flags & 0xf,
    questions,
    answers
  }
}

function need (buf: Buffer, pos: number, n: number, what: string): void {
  if (pos + n > buf.length) throw new DnsWireError(`${what}: packet ends at byte ${buf.length}, ${pos + n - buf.length} bytes short`)
}

function readData (buf: Buffer, pos: number, len: number, type: number, where: string): RecordData {
  const exact = (want: number): void => {
    if (len !== want) throw new DnsWireError(`${where}: data of ${len} bytes, must be ${want}`)
  }
  switch (type) {
    case TYPE.A:
      exact(4)
      return { kind: 'A', address: `${buf[pos]}.${buf[pos + 1]}.${buf[pos + 2]}.${buf[pos + 3]}` }
    case TYPE.AAAA:
      exact(16)
      return { kind: 'AAAA', address: formatIPv6(buf.subarray(pos, pos + 16)) }
    case TYPE.CNAME: {
      const n = readName(buf.subarray(0, pos + len), pos, where)
      if (n.next !== pos + len) throw new DnsWireError(`${where}: name ends at byte ${n.next - pos} of ${len}`)
      return { kind: 'CNAME', target: n.name }
    }
    case TYPE.SRV: {
      if (len < 7) throw new DnsWireError(`${where}: data of ${len} bytes, less than the 7 of an SRV record`)
      const n = readName(buf.subarray(0, pos + len), pos + 6, where)
      if (n.next !== pos + len) throw new DnsWireError(`${where}: target ends at byte ${n.next - pos} of ${len}`)
      return { kind: 'SRV', priority: buf.readUInt16BE(pos), weight: buf.readUInt16BE(pos + 2), port: buf.readUInt16BE(pos + 4), target: n.name }
    }
    default:
      return { kind: 'other' }
  }
}

/**
 * Reads the name at `start`. Pointers must go strictly backwards from the
 * labels being read, so the walk ends. Returns the escaped name and the
 * offset just after the name in place (after the first pointer, if any).
 */
function readName (buf: Buffer, start: number, where: string): { name: string, next: number } {
  const labels: string[] = []
  let pos = start
  let segment = start
  let next = -1
  let wire = 1
  for (;;) {
    need(buf, pos, 1, `${where}: name`)
    const len = buf[pos]
    if (len === 0) {
      pos += 1
      break
    }
    const kind = len & 0xc0
    if (kind === 0xc0) {
      need(buf, pos, 2, `${where}: name pointer`)
      const target = buf.readUInt16BE(pos) & 0x3fff
      if (target >= segment) throw new DnsWireError(`${where}: name pointer to byte ${target} does not point backwards (from ${pos})`)
      if (next < 0) next = pos + 2
      pos = target
      segment = target
      continue
    }
    if (kind !== 0) throw new DnsWireError(`${where}: label type 0x${kind.toString(16)} at byte ${pos} is not supported`)
    need(buf, pos + 1, len, `${where}: label`)
    wire += len + 1
    if (wire > MAX_NAME) throw new DnsWireError(`${where}: name longer than ${MAX_NAME} bytes`)
    labels.push(escapeLabel(buf.subarray(pos + 1, pos + 1 + len)))
    pos += 1 + len
  }
  return { name: labels.join('.'), next: next < 0 ? pos : next }
}

function escapeLabel (bytes: Buffer): string {
  let s = ''
  for (const b of bytes) {
    const plain = (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x5f
    if (plain) s += String.fromCharCode(b)
    else if (b === 0x2e || b === 0x5c) s += `\\${String.fromCharCode(b)}`
    else s += `\\${b.toString().padStart(3, '0')}`
  }
  return s
}

/** RFC 5952 text of 16 address bytes: lowercase, the longest run of two or more zero groups as `::`. */
export function formatIPv6 (bytes: Uint8Array): string {
  const groups: number[] = []
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]) << 8) | (bytes[i + 1]))
  let best = -1; let bestLen = 0
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) { i++; continue }
    let j = i
    while (j < 8 && groups[j] === 0) j++
    if (j - i > bestLen && j - i >= 2) { best = i; bestLen = j - i }
    i = j
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(':')
  if (best < 0) return hex(groups)
  return `${hex(groups.slice(0, best))}::${hex(groups.slice(best + bestLen))}`
}
