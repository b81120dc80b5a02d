/**
 * Named tables of one node, as Erlang's named ETS tables: state that a
 * service shares with every process of its node, found by name. The lock
 * service keeps its table of local locks here, so `acquire(ctx, ...)` takes a
 * local lock in the caller's own process, as ekka_locker does with its ETS
 * table, without a round trip to the locker and without a hidden
 * module-level map. A table lives as long as its owner keeps it: `set`
 * returns the function that deletes it.
 *
 * ```ts
 * const drop = rt.tables.set('my_service', state)
 * rt.tables.get<MyState>('my_service')   // from any process of this runtime: ctx.runtime.tables
 * drop()
 * ```
 */
import { NameTakenError } from './errors.js'

export class NamedTables {
  readonly #tables = new Map<string, unknown>()

  /** Makes `value` the table `name`; throws NameTakenError if another holds the name. Returns its delete. */
  set (name: string, value: unknown): () => void {
    const had = this.#tables.get(name)
    if (had !== undefined && had !== value) throw new NameTakenError(name, `table ${JSON.stringify(name)} already exists`)
    this.#tables.set(name, value)
    return () => { if (this.#tables.get(name) === value) this.#tables.delete(name) }
  }

  get<T> (name: string): T | undefined {
    return this.#tables.get(name) as T | undefined
  }

  names (): string[] {
    return [...this.#tables.keys()].sort()
  }
}
