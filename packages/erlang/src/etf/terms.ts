/**
 * The JavaScript values that stand for Erlang terms (the mapping table is in
 * ./index.ts): the classes for what JavaScript has no value of its own for
 * (atoms, tuples, pids, references, ports, bit strings, improper lists,
 * floats that must stay floats) and `termEquals`, Erlang's `=:=` over them.
 *
 * ```ts
 * const ok = Atom.of('ok')
 * Atom.of('ok') === ok                               // true: atoms are interned
 * termEquals(new Tuple([ok, 1]), tuple(Atom.of('ok'), 1))  // true
 * ```
 */

/** Anything `encode` takes and `decode` gives (see the mapping table in ./index.ts). */
export type Term =
  | number
  | bigint
  | boolean
  | string
  | Atom
  | ErlFloat
  | Buffer
  | Uint8Array
  | BitBinary
  | Tuple
  | ImproperList
  | ErlPid
  | ErlRef
  | ErlPort
  | readonly Term[]
  | ReadonlyMap<Term, Term>

/**
 * An atom. Interned: `Atom.of(name)` gives the same object for the same name
 * while anything holds it, so atoms compare with `===`. The table holds its
 * atoms weakly, so atoms a peer sends do not pile up forever (Erlang's atom
 * table does; here an unused atom is garbage).
 */
export class Atom {
  static readonly #table = new Map<string, WeakRef<Atom>>()
  static readonly #gone = new FinalizationRegistry<string>((name) => {
    const ref = Atom.#table.get(name)
    if (ref !== undefined && ref.deref() === undefined) Atom.#table.delete(name)
  })

  readonly name: string

  private constructor (name: string) {
    this.name = name
  }

  /** The atom called `name` (any string; `encode` refuses one longer than 255 characters). */
  static of (name: string): Atom {
    const had = Atom.#table.get(name)?.deref()
    if (had !== undefined) return had
    const atom = new Atom(name)
    Atom.#table.set(name, new WeakRef(atom))
    Atom.#gone.register(atom, name)
    return atom
  }

  toString (): string {
    return /^[a-z][A-Za-z0-9_@]*$/.test(this.name) ? this.name : `'${this.name.replace(/[\\']/g, (c) => `\\${c}`)}'`
  }
}

/** `Atom.of` for short: `atom('ok')`. */
export function atom (name: string): Atom {
  return Atom.of(name)
}

/** A tuple: `{a, 1}` is `new Tuple([atom('a'), 1])` or `tuple(atom('a'), 1)`. */
export class Tuple {
  readonly elements: readonly Term[]
  constructor (elements: readonly Term[]) {
    this.elements = elements
  }

  get size (): number { return this.elements.length }
}

export function tuple (...elements: Term[]): Tuple {
  return new Tuple(elements)
}

/**
 * A float that stays a float: `decode` gives a JavaScript number for every
 * float (so 1.0 arrives as 1), and `encode` writes an integral number as an
 * integer. Wrap a number in ErlFloat to send `1.0`; `decode(..., { floats:
 * 'boxed' })` gives ErlFloat for every float, so a term goes round as it came.
 */
export class ErlFloat {
  readonly value: number
  constructor (value: number) {
    this.value = value
  }
}

/**
 * A bit string whose length is not a whole number of bytes: `bits` (1..7)
 * bits of the last byte of `data` are used, from its high end (the others
 * are kept zero). `<<1:3>>` is `new BitBinary(Buffer.from([0b0010_0000]), 3)`.
 * Whole-byte binaries are Buffers.
 */
export class BitBinary {
  readonly data: Buffer
  readonly bits: number
  constructor (data: Buffer, bits: number) {
    if (!Number.isInteger(bits) || bits < 1 || bits > 7) throw new RangeError(`a BitBinary uses 1..7 bits of its last byte, not ${bits}`)
    if (data.length === 0) throw new RangeError('a BitBinary has at least one byte')
    this.data = data
    this.bits = bits
  }

  /** Its length in bits. */
  get bitLength (): number { return (this.data.length - 1) * 8 + this.bits }
}

/** A list whose tail is not `[]`: `[1, 2 | t]` is `new ImproperList([1, 2], t)`. */
export class ImproperList {
  readonly items: readonly Term[]
  readonly tail: Term
  constructor (items: readonly Term[], tail: Term) {
    if (items.length === 0) throw new RangeError('an improper list has at least one element before its tail')
    this.items = items
    this.tail = tail
  }
}

/** An Erlang process identifier: NEW_PID_EXT's fields (id and serial are 32-bit, creation 32-bit). */
export class ErlPid {
  readonly node: Atom
  readonly id: number
  readonly serial: number
  readonly creation: number
  constructor (node: Atom, id: number, serial: number, creation: number) {
    this.node = node
    this.id = id
    this.serial = serial
    this.creation = creation
  }

  toString (): string { return `<${this.node.name}.${this.id}.${this.serial}.${this.creation}>` }
}

/** An Erlang reference: NEWER_REFERENCE_EXT's fields (1 to 5 32-bit words of id, a 32-bit creation). */
export class ErlRef {
  readonly node: Atom
  readonly creation: number
  readonly ids: readonly number[]
  constructor (node: Atom, creation: number, ids: readonly number[]) {
    this.node = node
    this.creation = creation
    this.ids = ids
  }

  toString (): string { return `#Ref<${this.node.name}.${this.creation}.${this.ids.join('.')}>` }
}

/** An Erlang port identifier (NEW_PORT_EXT, or V4_PORT_EXT for an id beyond 32 bits: then a bigint if beyond 2^53). */
export class ErlPort {
  readonly node: Atom
  readonly id: number | bigint
  readonly creation: number
  constructor (node: Atom, id: number | bigint, creation: number) {
    this.node = node
    this.id = id
    this.creation = creation
  }

  toString (): string { return `#Port<${this.node.name}.${String(this.id)}.${this.creation}>` }
}

const TRUE = Atom.of('true')
const FALSE = Atom.of('false')

/** A boolean as the atom it is in Erlang; any other term as it is. */
function unboolean (t: Term): Term {
  return t === true ? TRUE : t === false ? FALSE : t
}

function isBytes (t: unknown): t is Uint8Array {
  return t instanceof Uint8Array
}

function sameInteger (a: number | bigint, b: number | bigint): boolean {
  if (typeof a === 'number' && !Number.isInteger(a)) return false
  if (typeof b === 'number' && !Number.isInteger(b)) return false
  return BigInt(a) === BigInt(b)
}

/** The elements of a term that is a proper list (array or string), else undefined. */
function listItems (t: Term): readonly Term[] | undefined {
  if (Array.isArray(t)) return t as readonly Term[]
  if (typeof t === 'string') return Array.from(t, (c) => c.codePointAt(0) as number)
  return undefined
}

/**
 * Erlang's `=:=` over the mapped values: an integer equals the same integer
 * whether number or bigint, but not a float (`1 =:= 1.0` is false: a number
 * that is not an integer, or an ErlFloat, is a float; an integral number is
 * an integer); a string equals the list of its code points; booleans equal
 * the atoms true / false; maps compare by their keys' and values' terms.
 * -0.0 and 0.0 differ (as in Erlang/OTP 27; OTP 26 and older call them
 * equal); the number -0 is the float -0.0, since no integer is -0.
 */
export function termEquals (a: Term, b: Term): boolean {
  a = unboolean(a)
  b = unboolean(b)
  if (a === b && (typeof a !== 'number' || Object.is(a, b))) return true
  if (a instanceof Atom || b instanceof Atom) return false
  if (typeof a === 'number' || typeof a === 'bigint' || a instanceof ErlFloat || typeof b === 'number' || typeof b === 'bigint' || b instanceof ErlFloat) {
    const fa = floatOf(a)
    const fb = floatOf(b)
    if (fa !== undefined || fb !== undefined) return fa !== undefined && fb !== undefined && Object.is(fa, fb)
    return (typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint') && sameInteger(a, b)
  }
  const la = listItems(a)
  const lb = listItems(b)
  if (la !== undefined || lb !== undefined) {
    if (la === undefined || lb === undefined || la.length !== lb.length) return false
    for (let i = 0; i < la.length; i++) if (!termEquals(la[i], lb[i])) return false
    return true
  }
  if (isBytes(a) || isBytes(b)) return isBytes(a) && isBytes(b) && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
  if (a instanceof BitBinary) return b instanceof BitBinary && a.bits === b.bits && a.data.equals(b.data)
  if (a instanceof Tuple) return b instanceof Tuple && termEquals(a.elements, b.elements)
  if (a instanceof ImproperList) {
    return b instanceof ImproperList && termEquals(a.items, b.items) && termEquals(a.tail, b.tail)
  }
  if (a instanceof ErlPid) return b instanceof ErlPid && a.node === b.node && a.id === b.id && a.serial === b.serial && a.creation === b.creation
  if (a instanceof ErlRef) return b instanceof ErlRef && a.node === b.node && a.creation === b.creation && termEquals(a.ids, b.ids)
  if (a instanceof ErlPort) return b instanceof ErlPort && a.node === b.node && sameInteger(a.id, b.id) && a.creation === b.creation
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false
    const rest = [...b.entries()]
    outer: for (const [k, v] of a) {
      for (let i = 0; i < rest.length; i++) {
        if (termEquals(k, rest[i][0])) {
          if (!termEquals(v, rest[i][1])) return false
          rest.splice(i, 1)
          continue outer
        }
      }
      return false
    }
    return true
  }
  return false
}

/** The float a term is (a non-integral number, an ErlFloat), else undefined. */
function floatOf (t: Term): number | undefined {
  if (t instanceof ErlFloat) return t.value
  if (typeof t === 'number' && (!Number.isInteger(t) || Object.is(t, -0))) return t
  return undefined
}

/** The value for `key` in a decoded map, found by `termEquals` (a Map's own `get` compares objects by identity). */
export function mapGet (map: ReadonlyMap<Term, Term>, key: Term): Term | undefined {
  const direct = map.get(key)
  if (direct !== undefined) return direct
  for (const [k, v] of map) if (termEquals(k, key)) return v
  return undefined
}
