/**
 * Process and reference identifiers. Both are plain values: they print,
 * compare by value and cross the wire (the dist codec encodes them as
 * msgpack extensions). `creation` tells incarnations of one node apart: a pid
 * whose creation differs from its node's current one names a dead process.
 */

/** A process identifier: `<node.id.creation>`. */
export class Pid {
  readonly node: string
  readonly id: number
  readonly creation: number

  constructor (node: string, id: number, creation: number) {
    this.node = node
    this.id = id
    this.creation = creation
  }

  /** A string unique to this pid, for use as a Map key (not cached: a million idle pids should stay small). */
  get key (): string {
    return `${this.node}.${this.id}.${this.creation}`
  }

  equals (other: unknown): boolean {
    return other instanceof Pid && other.id === this.id && other.creation === this.creation && other.node === this.node
  }

  toString (): string {
    return `<${this.key}>`
  }

  toJSON (): string {
    return this.toString()
  }

  [Symbol.for('nodejs.util.inspect.custom')] (): string {
    return this.toString()
  }
}

/** A unique reference (monitor refs, call tags): `#Ref<node.id.creation>`. */
export class Ref {
  readonly node: string
  readonly id: number
  readonly creation: number
  #key: string | undefined

  constructor (node: string, id: number, creation: number) {
    this.node = node
    this.id = id
    this.creation = creation
  }

  get key (): string {
    return (this.#key ??= `${this.node}.${this.id}.${this.creation}`)
  }

  equals (other: unknown): boolean {
    return other instanceof Ref && other.id === this.id && other.creation === this.creation && other.node === this.node
  }

  toString (): string {
    return `#Ref<${this.key}>`
  }

  toJSON (): string {
    return this.toString()
  }

  [Symbol.for('nodejs.util.inspect.custom')] (): string {
    return this.toString()
  }
}

/** Total order on pids (node, then creation, then id), as Erlang orders them. */
export function comparePids (a: Pid, b: Pid): number {
  if (a.node !== b.node) return a.node < b.node ? -1 : 1
  if (a.creation !== b.creation) return a.creation - b.creation
  return a.id - b.id
}

const PID_TEXT = /^<([^<>\s]+)\.(\d+)\.(\d+)>$/

/** Parses the printed form of a pid back into a Pid. */
export function parsePid (text: string): Pid {
  const m = PID_TEXT.exec(text)
  if (m == null) throw new TypeError(`not a pid: ${JSON.stringify(text)}`)
  return new Pid(m[1], Number(m[2]), Number(m[3]))
}

/** Addresses a process registered under `name` on `node`. */
export interface RemoteName {
  readonly name: string
  readonly node: string
}

/** Anything a message can be sent to: a pid, a local registered name, or `{ name, node }`. */
export type Dest = Pid | string | RemoteName

export function isRemoteName (v: unknown): v is RemoteName {
  return typeof v === 'object' && v !== null && !(v instanceof Pid) &&
    typeof (v as RemoteName).name === 'string' && typeof (v as RemoteName).node === 'string'
}
