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
import { Pid, Ref } from '@tekka/actors'
import type { Codec } from '../../src/codec.js'
import {
  BYE, DEMONITOR, DOWN, EXIT, EXIT2, LINK, MONITOR, NODES, REG_SEND, RPC_CALL, RPC_REPLY, SEND, UNLINK
} from '../../src/protocol.js'
import { firstFragmentHeader, KIND_CONTROL, KIND_DATA, KIND_FRAG_NEXT, smallHeader, TICK_FRAME } from '../../src/wire.js'
import { mutate, mutateFrame, type Rng } from './fuzz.js'

export interface FrameContext {
  codec: Codec
  /** The fake peer's name and creation (senders, watchers, refs). */
  peer: string
  creation: number
  /** The node under test: its name and creation. */
  local: string
  localCreation: number
  /** Processes that trap exits: targets of every signal. */
  trapping: readonly Pid[]
  /** Processes that only take messages (SEND targets). */
  sinks: readonly Pid[]
  /** A registered name on the node (REG_SEND, monitors by name). */
  regName: string
}

const WORDS = ['fuzz', 'tekka', 'hello', 'ünïcødé', '日本', '', 'a'.repeat(40), 'line\nbreak', '\u0000nul']

/** A random msgpack-able value, up to `depth` levels of nesting. */
export function randomValue (rng: Rng, ctx: FrameContext, depth = 2): unknown {
  const leaf = (): unknown => {
    switch (rng.int(14)) {
      case 0: return rng.int(128)
      case 1: return -rng.int(1 << 20)
      case 2: return rng.int(2 ** 31) * 4096
      case 3: return rng.float() * 1e6
      case 4: return rng.pick(WORDS)
      case 5: return rng.chance(0.5)
      case 6: return null
      case 7: return rng.bytes(rng.int(48))
      case 8: return new Pid(ctx.peer, rng.int(1000), ctx.creation)
      case 9: return new Ref(ctx.peer, rng.int(1000), ctx.creation)
      case 10: return BigInt(rng.u32()) * 0x1_0000_0000n + BigInt(rng.u32())
      case 11: return new Date(1_700_000_000_000 + rng.int(1e9))
      case 12: return Object.assign(new Error('fuzz error'), { code: 'ERR_FUZZ' })
      default: return undefined
    }
  }
  if (depth <= 0 || rng.chance(0.5)) return leaf()
  const n = rng.int(5)
  if (rng.chance(0.5)) return Array.from({ length: n }, () => randomValue(rng, ctx, depth - 1))
  const o: Record<string, unknown> = {}
  for (let i = 0; i < n; i++) o[rng.pick(['a', 'from', 'msg', 'type', 'k' + String(i)])] = randomValue(rng, ctx, depth - 1)
  if (rng.chance(0.2)) return new Set(Object.values(o).filter((v) => typeof v !== 'object'))
  return o
}

/** An exit reason that is never `kill` (a trapping target must survive a valid frame). */
function reason (rng: Rng, n: number): unknown {
  return rng.pick<unknown>(['normal', 'fuzzed', { fuzz: n }, ['why', n], null])
}

/** The signal arrays a well-behaved peer could send. */
function signal (ctx: FrameContext, rng: Rng): { what: string, value: unknown[] } {
  const me = new Pid(ctx.peer, 1 + rng.int(50), ctx.creation)
  const ref = new Ref(ctx.peer, 1 + rng.int(1_000_000), ctx.creation)
  const trap = rng.pick(ctx.trapping)
  const any = rng.chance(0.5) ? trap : rng.pick(ctx.sinks)
  const n = rng.int(1_000_000)
  switch (rng.int(15)) {
    case 0: case 1: return { what: 'SEND', value: [SEND, rng.chance(0.8) ? me : null, any, randomValue(rng, ctx)] }
    case 2: return { what: 'REG_SEND', value: [REG_SEND, rng.chance(0.8) ? me : null, ctx.regName, randomValue(rng, ctx)] }
    case 3: return { what: 'LINK', value: [LINK, me, trap] }
    case 4: return { what: 'UNLINK', value: [UNLINK, me, trap] }
    case 5: return { what: 'EXIT', value: [EXIT, me, trap, reason(rng, n)] }
    case 6: return { what: 'EXIT2', value: [EXIT2, me, trap, reason(rng, n)] }
    case 7: return { what: 'MONITOR', value: [MONITOR, me, rng.chance(0.7) ? trap : ctx.regName, ref] }
    case 8: return { what: 'DEMONITOR', value: [DEMONITOR, me, rng.chance(0.7) ? trap : ctx.regName, ref] }
    case 9: return { what: 'DOWN', value: [DOWN, trap, ref, rng.chance(0.7) ? me : 'gone', reason(rng, n)] }
    case 10: return { what: 'RPC_CALL', value: [RPC_CALL, n, 'tekka.ping', rng.chance(0.5) ? [] : [randomValue(rng, ctx, 1)]] }
    case 11: return { what: 'RPC_REPLY', value: [RPC_REPLY, n, rng.chance(0.5), randomValue(rng, ctx)] }
    case 12: return { what: 'NODES', value: [NODES, []] }
    case 13: return { what: 'BYE', value: [BYE] }
    default: return { what: 'SEND', value: [SEND, me, any, n] }
  }
}

/** `body` (msgpack) as a fragmented DATA message of 2 to 4 fragments. */
function fragmented (body: Buffer, rng: Rng): Buffer {
  const pieces = 2 + rng.int(3)
  const cuts = new Set<number>()
  while (cuts.size < pieces - 1) cuts.add(1 + rng.int(body.length - 1))
  const at = [0, ...[...cuts].sort((a, b) => a - b), body.length]
  const parts: Buffer[] = []
  for (let i = 0; i + 1 < at.length; i++) {
    const chunk = body.subarray(at[i], at[i + 1])
    parts.push(i === 0 ? firstFragmentHeader(chunk.length, body.length) : smallHeader(KIND_FRAG_NEXT, chunk.length), chunk)
  }
  return Buffer.concat(parts)
}

/**
 * One valid unit: usually one frame (DATA or CONTROL; `single`, with its
 * signal as `value`), sometimes a fragmented message (several frames),
 * sometimes a tick.
 */
export function validUnit (ctx: FrameContext, rng: Rng): { what: string, bytes: Buffer, single: boolean, kind: number, value?: unknown[] } {
  if (rng.chance(0.02)) return { what: 'tick', bytes: Buffer.from(TICK_FRAME), single: false, kind: 0 }
  const s = signal(ctx, rng)
  if (rng.chance(0.06)) {
    // A message big enough to be worth cutting up: a SEND with a blob.
    const big = [SEND, new Pid(ctx.peer, 1, ctx.creation), rng.pick(ctx.sinks), { blob: rng.bytes(200 + rng.int(2000)), n: rng.int(1000) }]
    return { what: 'SEND(fragmented)', bytes: fragmented(ctx.codec.encode(big), rng), single: false, kind: KIND_FRAG_NEXT }
  }
  const kind = rng.chance(0.5) ? KIND_DATA : KIND_CONTROL
  const body = ctx.codec.encode(s.value)
  return { what: s.what, bytes: Buffer.concat([smallHeader(kind, body.length), body]), single: true, kind, value: s.value }
}

/** Pids the fields of a signal may be swapped for: the peer's, a third node's, the node's own (targets, or none). */
function somePid (ctx: FrameContext, rng: Rng): Pid {
  switch (rng.int(4)) {
    case 0: return new Pid(ctx.peer, rng.int(100), ctx.creation)
    case 1: return new Pid(`third${rng.int(3)}@127.0.0.1`, rng.int(100), 1 + rng.int(5))
    case 2: return rng.pick(ctx.trapping)
    default: return new Pid(ctx.local, 0x7fff_0000 + rng.int(100), ctx.localCreation)
  }
}

/**
 * A signal with its fields mutated (replaced, dropped, added, swapped, the
 * tag changed, a pid swapped for another node's), still well-formed msgpack:
 * this is what reaches `parseSignal` and the runtime rather than the decoder.
 */
export function mutateFields (value: readonly unknown[], ctx: FrameContext, rng: Rng): { value: unknown, ops: string[] } {
  let v: unknown[] = [...value]
  const ops: string[] = []
  const count = 1 + rng.int(2)
  for (let i = 0; i < count; i++) {
    const at = rng.int(Math.max(1, v.length))
    switch (rng.int(7)) {
      case 0: v[at] = randomValue(rng, ctx, 1); ops.push(`field-replace@${at}`); break
      case 1: v.splice(at, 1); ops.push(`field-drop@${at}`); break
      case 2: v.splice(at, 0, randomValue(rng, ctx, 1)); ops.push(`field-add@${at}`); break
      case 3: { const j = rng.int(Math.max(1, v.length)); [v[at], v[j]] = [v[j], v[at]]; ops.push(`field-swap@${at},${j}`); break }
      case 4: v[0] = rng.chance(0.8) ? rng.int(16) : randomValue(rng, ctx, 0); ops.push(`tag=${typeof v[0] === 'number' ? v[0] : typeof v[0]}`); break
      case 5: v[1 + rng.int(Math.max(1, v.length - 1))] = somePid(ctx, rng); ops.push('field-pid'); break
      default:
        if (rng.chance(0.5)) { v = [v]; ops.push('field-nest') } else { ops.push('field-object'); return { value: Object.fromEntries(v.map((x, k) => [String(k), x])), ops } }
    }
  }
  return { value: v, ops }
}

/**
 * One mutated unit, ready to write: a valid unit (see validUnit) with a
 * fifth of the single frames mutated at the field level (mutateFields,
 * re-encoded and framed), the others at the byte level (mutateFrame: the
 * whole frame, or just its body with the prefix fixed up), and units of
 * several frames mutated as bytes (mutate).
 */
export function mutatedUnit (ctx: FrameContext, rng: Rng): { what: string, bytes: Buffer, ops: string[] } {
  const unit = validUnit(ctx, rng)
  if (unit.value !== undefined && rng.chance(0.2)) {
    const { value, ops } = mutateFields(unit.value, ctx, rng)
    const body = ctx.codec.encode(value)
    return { what: unit.what, bytes: Buffer.concat([smallHeader(unit.kind, body.length), body]), ops }
  }
  const { bytes, ops } = unit.single ? mutateFrame(unit.bytes, rng) : mutate(unit.bytes, rng)
  return { what: unit.what, bytes, ops }
}
