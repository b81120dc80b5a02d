/**
 * What a caller says to its node's locker, and what lockers say to each
 * other.
 *
 * A caller's leader / quorum / all request (see LockerRequest) goes to the
 * locker as `{ t: 'tekka_lock_req', ref, from, req }` and is answered with
 * `{ t: 'tekka_lock_res', ref, result }`: gen:call's exchange without its
 * monitor, which would cost two table updates on the hot path; a caller
 * bounds its wait instead, and a locker that dies answers its pending
 * callers from its exit hook.
 *
 * Between lockers, requests and replies travel in batches,
 * one message per peer per turn of the event loop, so a busy locker sends a
 * few large frames rather than many small ones:
 *
 *   { t: 'tekka_lock', from: lockerPid, ops: [op, ...] }        to { name, node }
 *   { t: 'tekka_lock_reply', from: lockerPid, rs: [reply, ...] } to the asking locker's pid
 *
 * Ops (positional tuples, short on the wire):
 *   [ACQUIRE, seq, resource, owner, type, replicaSet | null, piggyback | null, floor]
 *       floor: the asker's lowest acceptable token (its high-water mark + 1, at
 *       least its wall clock in µs); replicas grant max(their own + 1, floor),
 *       so replicas that have seen nothing larger agree and need no SETTLE
 *   [RELEASE, rid, resource, owner, seq]       rid 0: no reply wanted; seq 0: any acquire
 *   [SETTLE,  seq, resource, owner, token]     a quorum acquire's final token
 *   [SYNC,    hid, leaderCheck]                "do you hold anything my earlier incarnation (or another leader) granted?"
 * Replies:
 *   [ACQUIRE, seq, ok, token | failure, piggybackResult | null]
 *   [RELEASE, rid, ok]
 *   [SYNC,    hid, clear]
 *
 * Everything from a peer is checked before use; a malformed op is dropped.
 */
import { Pid, Ref } from '@tekka/actors'
import { LOCK_TYPES, type LockFailure, type LockResult, type LockType, type Piggyback, type PiggybackResult } from './types.js'

// ---- caller <-> its locker ---------------------------------------------------------

/** A caller's request to its node's locker (local locks never take this path). */
export type LockerRequest =
  | { op: 'acquire', resource: string, type: Exclude<LockType, 'local'>, piggyback: Piggyback | null, timeout: number }
  | { op: 'release', resource: string, type: Exclude<LockType, 'local'>, timeout: number }

export const REQUEST = 'tekka_lock_req'
export const RESPONSE = 'tekka_lock_res'

export interface RequestMsg { readonly t: typeof REQUEST, readonly ref: Ref, readonly from: Pid, readonly req: LockerRequest }
export interface ResponseMsg { readonly t: typeof RESPONSE, readonly ref: Ref, readonly result: LockResult | LockerRefusal }

/** A refusal of a request that must not be made (a caller on another node). */
export interface LockerRefusal { readonly error: string }

export const isRequest = (m: unknown): m is RequestMsg =>
  typeof m === 'object' && m !== null && (m as RequestMsg).t === REQUEST && (m as RequestMsg).ref instanceof Ref && (m as RequestMsg).from instanceof Pid

// ---- locker <-> locker ---------------------------------------------------------------

export const ACQUIRE = 0
export const RELEASE = 1
export const SETTLE = 2
export const SYNC = 3

export type AcquireOp = [typeof ACQUIRE, number, string, Pid, LockType, string[] | null, Piggyback | null, number]
export type ReleaseOp = [typeof RELEASE, number, string, Pid, number]
export type SettleOp = [typeof SETTLE, number, string, Pid, number]
export type SyncOp = [typeof SYNC, number, boolean]
export type Op = AcquireOp | ReleaseOp | SettleOp | SyncOp

export type AcquireReply = [typeof ACQUIRE, number, boolean, number | LockFailure, PiggybackResult | null]
export type ReleaseReply = [typeof RELEASE, number, boolean]
export type SyncReply = [typeof SYNC, number, boolean]
export type Reply = AcquireReply | ReleaseReply | SyncReply

export interface OpBatch { readonly t: 'tekka_lock', readonly from: Pid, readonly ops: unknown[] }
export interface ReplyBatch { readonly t: 'tekka_lock_reply', readonly from: Pid, readonly rs: unknown[] }

export function isOpBatch (m: unknown): m is OpBatch {
  return typeof m === 'object' && m !== null && (m as OpBatch).t === 'tekka_lock' && (m as OpBatch).from instanceof Pid && Array.isArray((m as OpBatch).ops)
}

export function isReplyBatch (m: unknown): m is ReplyBatch {
  return typeof m === 'object' && m !== null && (m as ReplyBatch).t === 'tekka_lock_reply' && (m as ReplyBatch).from instanceof Pid && Array.isArray((m as ReplyBatch).rs)
}

const MAX_RESOURCE = 4096
const FAILURES = new Set<string>(['held', 'unreachable', 'timeout', 'not_ready', 'not_leader', 'view'])

export function isLockType (v: unknown): v is LockType {
  return typeof v === 'string' && (LOCK_TYPES as readonly string[]).includes(v)
}

export function isResource (v: unknown): v is string {
  return typeof v === 'string' && v.length > 0 && v.length <= MAX_RESOURCE
}

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0
const isToken = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v) && v >= 0

export function isPiggyback (v: unknown): v is Piggyback {
  if (typeof v !== 'object' || v === null) return false
  const p = v as Piggyback
  return typeof p.fn === 'string' && p.fn.length > 0 && (p.args === undefined || Array.isArray(p.args))
}

/** A checked op, or undefined. */
export function parseOp (v: unknown): Op | undefined {
  if (!Array.isArray(v) || !isId(v[1])) return undefined
  switch (v[0]) {
    case ACQUIRE:
      if (v.length !== 8 || !isToken(v[7]) || !isResource(v[2]) || !(v[3] instanceof Pid) || !isLockType(v[4])) return undefined
      if (v[5] !== null && !(Array.isArray(v[5]) && v[5].length <= 16 && v[5].every((n: unknown) => typeof n === 'string'))) return undefined
      if (v[6] !== null && !isPiggyback(v[6])) return undefined
      return v as AcquireOp
    case RELEASE:
      return v.length === 5 && isResource(v[2]) && v[3] instanceof Pid && isId(v[4]) ? v as ReleaseOp : undefined
    case SETTLE:
      return v.length === 5 && isResource(v[2]) && v[3] instanceof Pid && isToken(v[4]) ? v as SettleOp : undefined
    case SYNC:
      return v.length === 3 && typeof v[2] === 'boolean' ? v as SyncOp : undefined
    default:
      return undefined
  }
}

/** A checked reply, or undefined. */
export function parseReply (v: unknown): Reply | undefined {
  if (!Array.isArray(v) || !isId(v[1])) return undefined
  switch (v[0]) {
    case ACQUIRE: {
      if (v.length !== 5 || typeof v[2] !== 'boolean') return undefined
      if (v[2] ? !isToken(v[3]) : !(typeof v[3] === 'string' && FAILURES.has(v[3]))) return undefined
      const pb = v[4]
      if (pb !== null && !(typeof pb === 'object' && typeof (pb as PiggybackResult).node === 'string' && typeof (pb as PiggybackResult).ok === 'boolean')) return undefined
      return v as AcquireReply
    }
    case RELEASE:
    case SYNC:
      return v.length === 3 && typeof v[2] === 'boolean' ? v as ReleaseReply | SyncReply : undefined
    default:
      return undefined
  }
}
