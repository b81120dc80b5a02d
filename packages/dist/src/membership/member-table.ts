/**
 * The replicated member table: for every node ever seen, whether it is a
 * member of this cluster or was removed, as a last-writer-wins register per
 * node (a state-based CRDT). A change bumps that node's version; merging two
 * tables keeps, per node, the entry with the higher (version, by). So any
 * two members that exchange tables agree, in whatever order joins, leaves
 * and force-leaves happened on the two sides of a partition, and a removal
 * (a tombstone) is not undone by a member that had not heard of it.
 *
 * Each node's guid (its age) is reported by the node itself; tables keep the
 * newest guid they have seen for a node (guids grow with time).
 */
import { createHash } from 'node:crypto'
import { isGuid } from './guid.js'
import { isNodeName } from '../node-name.js'

export type MemberState = 'member' | 'removed'

export interface Entry {
  readonly node: string
  readonly state: MemberState
  readonly version: number
  /** The node that made this change: breaks ties between equal versions. */
  readonly by: string
  /** The node's guid (32 hex digits), '' when not known yet. */
  readonly guid: string
  /** Wall-clock ms of the change, for operators. */
  readonly at: number
}

export interface Change {
  readonly node: string
  readonly before: Entry | undefined
  readonly after: Entry
}

/** Checks an entry that came from a peer; undefined if it is not one. */
export function parseEntry (v: unknown): Entry | undefined {
  if (typeof v !== 'object' || v === null) return undefined
  const e = v as Record<string, unknown>
  if (!isNodeName(e.node)) return undefined
  if (e.state !== 'member' && e.state !== 'removed') return undefined
  if (!Number.isSafeInteger(e.version) || (e.version as number) < 0) return undefined
  if (!isNodeName(e.by)) return undefined
  if (!(e.guid === '' || isGuid(e.guid))) return undefined
  if (typeof e.at !== 'number' || !Number.isFinite(e.at)) return undefined
  return { node: e.node, state: e.state, version: e.version as number, by: e.by, guid: e.guid, at: e.at }
}

function newer (a: Entry, b: Entry): boolean {
  return a.version > b.version || (a.version === b.version && a.by > b.by)
}

function maxGuid (a: string, b: string): string {
  return a > b ? a : b
}

export class MemberTable {
  readonly self: string
  #entries = new Map<string, Entry>()
  /** The digest of the entries, until they change. */
  #digest: string | undefined

  constructor (self: string, entries: readonly Entry[] = []) {
    this.self = self
    for (const e of entries) this.#entries.set(e.node, e)
  }

  get (node: string): Entry | undefined {
    return this.#entries.get(node)
  }

  entries (): Entry[] {
    return [...this.#entries.values()]
  }

  /**
   * A hash of what merging compares (per node: state, version, by, guid),
   * in node order: two tables with the same digest have nothing to give
   * each other. Kept until the table changes.
   */
  digest (): string {
    if (this.#digest !== undefined) return this.#digest
    const h = createHash('sha256')
    for (const e of [...this.#entries.values()].sort((a, b) => a.node < b.node ? -1 : a.node > b.node ? 1 : 0)) {
      h.update(`${e.node} ${e.state} ${e.version} ${e.by} ${e.guid}\n`)
    }
    return (this.#digest = h.digest('base64'))
  }

  isMember (node: string): boolean {
    return this.#entries.get(node)?.state === 'member'
  }

  /** Member entries, oldest (smallest guid) first; unknown guids last, by name. */
  members (): Entry[] {
    return this.entries().filter((e) => e.state === 'member').sort(byAge)
  }

  /** Records a change made here: `state` for `node`, one version above what is known. */
  set (node: string, state: MemberState, guid?: string, at = Date.now()): Change {
    const before = this.#entries.get(node)
    const after: Entry = {
      node,
      state,
      version: (before?.version ?? 0) + 1,
      by: this.self,
      guid: maxGuid(guid ?? '', before?.guid ?? ''),
      at
    }
    this.#entries.set(node, after)
    this.#digest = undefined
    return { node, before, after }
  }

  /** A node's own report of its guid (a newer incarnation); no version change. */
  setGuid (node: string, guid: string): boolean {
    const e = this.#entries.get(node)
    if (e === undefined || guid <= e.guid) return false
    this.#entries.set(node, { ...e, guid })
    this.#digest = undefined
    return true
  }

  /** Merges a peer's entries; returns the entries whose state changed here. */
  merge (theirs: readonly Entry[]): Change[] {
    const changes: Change[] = []
    for (const t of theirs) {
      this.#digest = undefined
      const mine = this.#entries.get(t.node)
      if (mine === undefined) {
        this.#entries.set(t.node, t)
        changes.push({ node: t.node, before: undefined, after: t })
        continue
      }
      const guid = maxGuid(mine.guid, t.guid)
      if (newer(t, mine)) {
        const after = { ...t, guid }
        this.#entries.set(t.node, after)
        if (after.state !== mine.state) changes.push({ node: t.node, before: mine, after })
      } else if (guid !== mine.guid) {
        this.#entries.set(t.node, { ...mine, guid })
      }
    }
    return changes
  }

  /** Forgets everything but `keep` (a node that left starts a cluster of its own). */
  reset (keep: Entry): void {
    this.#entries = new Map([[keep.node, keep]])
    this.#digest = undefined
  }
}

/** Oldest first: by guid, unknown guids last, then by name. */
export function byAge (a: { guid: string, node: string }, b: { guid: string, node: string }): number {
  if (a.guid !== b.guid) {
    if (a.guid === '') return 1
    if (b.guid === '') return -1
    return a.guid < b.guid ? -1 : 1
  }
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0
}
