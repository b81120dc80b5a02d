/**
 * Pids and references at the boundary between Erlang terms and a tekka
 * runtime. Everything else crosses as the ETF mapping gives it (../etf).
 *
 * - An Erlang pid `<node.id.serial.creation>` is the tekka Pid
 *   `{ node, id: serial * 2^32 + id, creation }` (serial below 2^21, which
 *   is far beyond what erl makes; a larger one stays an ErlPid). A pid of
 *   this node with its Erlang creation is the local tekka process with the
 *   runtime's creation, so `ctx.send` reaches it; back, the same rules
 *   reversed.
 * - A tekka Ref goes out as a 2-word reference `{ id low 32 bits, id high
 *   bits }` of its node (erl makes 3 words or more), and such a reference of
 *   this node comes back as the tekka Ref; every other reference stays an
 *   ErlRef (compare with `termEquals`).
 *
 * ```ts
 * const m = new PidMapping({ node: 'tk@127.0.0.1', erlCreation: 7, tekkaCreation: rt.creation })
 * m.toTekka(term)   // ErlPid -> Pid inside tuples, lists and maps
 * m.toErlang(value) // Pid -> ErlPid, Ref -> ErlRef
 * ```
 */
import { Pid, Ref } from '@tekka/actors'
import { Atom, ErlPid, ErlRef, ImproperList, Tuple, type Term } from '../etf/terms.js'

const TWO_32 = 0x1_0000_0000

/**
 * An Erlang reference as a tekka Ref, where the runtime needs a Ref (the
 * monitor a process on an Erlang node holds on a tekka process): its key
 * and equality are the ErlRef's, and it goes back out as that ErlRef.
 */
export class ForeignRef extends Ref {
  readonly erl: ErlRef
  readonly #key: string
  constructor (erl: ErlRef) {
    super(erl.node.name, erl.ids[0], erl.creation)
    this.erl = erl
    this.#key = `${erl.node.name}.${erl.ids.join('.')}.${erl.creation}`
  }

  override get key (): string { return this.#key }
  override equals (other: unknown): boolean { return other instanceof ForeignRef && other.#key === this.#key }
}
const MAX_SERIAL = 1 << 21

export interface PidMappingOptions {
  node: string
  /** This node's creation on Erlang's distribution (epmd's, or the port rule's random one). */
  erlCreation: number
  /** The runtime's creation. */
  tekkaCreation: number
}

export class PidMapping {
  readonly #node: string
  readonly #nodeAtom: Atom
  readonly #erlCreation: number
  readonly #tekkaCreation: number

  constructor (opts: PidMappingOptions) {
    this.#node = opts.node
    this.#nodeAtom = Atom.of(opts.node)
    this.#erlCreation = opts.erlCreation
    this.#tekkaCreation = opts.tekkaCreation
  }

  pidToTekka (p: ErlPid): Pid | ErlPid {
    if (p.serial >= MAX_SERIAL) return p
    const local = p.node === this.#nodeAtom && p.creation === this.#erlCreation
    return new Pid(p.node.name, p.serial * TWO_32 + p.id, local ? this.#tekkaCreation : p.creation)
  }

  pidToErlang (p: Pid): ErlPid {
    const local = p.node === this.#node && p.creation === this.#tekkaCreation
    return new ErlPid(Atom.of(p.node), p.id % TWO_32, Math.floor(p.id / TWO_32), local ? this.#erlCreation : p.creation)
  }

  refToErlang (r: Ref): ErlRef {
    if (r instanceof ForeignRef) return r.erl
    const local = r.node === this.#node && r.creation === this.#tekkaCreation
    return new ErlRef(Atom.of(r.node), local ? this.#erlCreation : r.creation, [r.id % TWO_32, Math.floor(r.id / TWO_32)])
  }

  refToTekka (r: ErlRef): Ref | ErlRef {
    if (r.node !== this.#nodeAtom || r.creation !== this.#erlCreation || r.ids.length !== 2) return r
    return new Ref(this.#node, r.ids[1] * TWO_32 + r.ids[0], this.#tekkaCreation)
  }

  /** A term from Erlang with its pids and this node's references as tekka values. */
  toTekka (t: Term): unknown {
    if (t instanceof ErlPid) return this.pidToTekka(t)
    if (t instanceof ErlRef) return this.refToTekka(t)
    if (t instanceof Tuple) return new Tuple(t.elements.map((e) => this.toTekka(e) as Term))
    if (Array.isArray(t)) return (t as Term[]).map((e) => this.toTekka(e))
    if (t instanceof ImproperList) return new ImproperList(t.items.map((e) => this.toTekka(e) as Term), this.toTekka(t.tail) as Term)
    if (t instanceof Map) {
      const m = new Map<unknown, unknown>()
      for (const [k, v] of t as ReadonlyMap<Term, Term>) m.set(this.toTekka(k), this.toTekka(v))
      return m
    }
    return t
  }

  /** A tekka value to send to Erlang: Pids and Refs as Erlang's; the rest as it is (the encoder refuses what has no term). */
  toErlang (v: unknown): Term {
    if (v instanceof Pid) return this.pidToErlang(v)
    if (v instanceof Ref) return this.refToErlang(v)
    if (v instanceof Tuple) return new Tuple(v.elements.map((e) => this.toErlang(e)))
    if (Array.isArray(v)) return v.map((e) => this.toErlang(e))
    if (v instanceof ImproperList) return new ImproperList(v.items.map((e) => this.toErlang(e)), this.toErlang(v.tail))
    if (v instanceof Map) {
      const m = new Map<Term, Term>()
      for (const [k, x] of v as Map<unknown, unknown>) m.set(this.toErlang(k), this.toErlang(x))
      return m
    }
    return v as Term
  }
}
