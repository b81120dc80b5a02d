// dns-packet (a dependency of @tekka/discovery, without type declarations),
// for tests that build DNS packets independently of src/dns-wire.ts: the
// fake servers of the garbage tests and the decoder's cross-checks. Only the
// part of its API the tests use is typed here.
import { createRequire } from 'node:module'

export interface PacketQuestion { type: string, name: string, class?: string }
export interface PacketAnswer { type: string, name: string, class?: string, ttl?: number, data?: unknown }
export interface Packet {
  type?: 'query' | 'response'
  id?: number
  flags?: number
  rcode?: string
  questions?: PacketQuestion[]
  answers?: PacketAnswer[]
  authorities?: PacketAnswer[]
  additionals?: PacketAnswer[]
  flag_rd?: boolean
  flag_tc?: boolean
}

export interface DnsPacket {
  encode(p: Packet): Buffer
  decode(b: Buffer): Packet & { questions: PacketQuestion[], answers: PacketAnswer[] }
  streamEncode(p: Packet): Buffer
  readonly RECURSION_DESIRED: number
  readonly AUTHORITATIVE_ANSWER: number
  readonly TRUNCATED_RESPONSE: number
}

export const dnsPacket = createRequire(import.meta.url)('dns-packet') as DnsPacket

/** RCODE values, for the low 4 bits of `flags` (dns-packet encodes no `rcode` field). */
export const RCODE = { NOERROR: 0, FORMERR: 1, SERVFAIL: 2, NXDOMAIN: 3, NOTIMP: 4, REFUSED: 5 } as const
