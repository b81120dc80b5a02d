/**
 * The member table on disk (`<node.data_dir>/<node name>/membership.json`),
 * so a node restarted with the same name and data dir goes back to its
 * cluster. Written atomically (temp file + rename). A file that cannot be
 * read or parsed stops the node at start with an error naming the file:
 * silently starting as a cluster of one would split the cluster.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { MembershipStoreError } from '../errors.js'
import { parseEntry, type Entry } from './member-table.js'

const FORMAT = 'tekka-membership/1'


export interface StoredMembership {
  node: string
  cluster: string
  entries: Entry[]
}

export class MembershipStore {
  readonly dir: string
  readonly file: string

  constructor (dataDir: string, node: string) {
    this.dir = join(dataDir, node)
    this.file = join(this.dir, 'membership.json')
  }

  /** The stored table, or undefined when there is none yet. Throws MembershipStoreError for anything unreadable. */
  load (node: string, cluster: string): Entry[] | undefined {
    let text: string
    try {
      text = readFileSync(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
      throw new MembershipStoreError(this.file, `cannot be read (${(err as Error).message})`, err)
    }
    let data: unknown
    try {
      data = JSON.parse(text)
    } catch (err) {
      throw new MembershipStoreError(this.file, `is not valid JSON (${(err as Error).message})`, err)
    }
    const d = data as Partial<StoredMembership> & { format?: unknown }
    if (typeof d !== 'object' || d === null || d.format !== FORMAT) throw new MembershipStoreError(this.file, `is not a ${FORMAT} file`)
    if (d.node !== node) throw new MembershipStoreError(this.file, `belongs to node ${JSON.stringify(d.node)}, not ${node}`)
    if (d.cluster !== cluster) throw new MembershipStoreError(this.file, `belongs to cluster ${JSON.stringify(d.cluster)}, but cluster.name is ${JSON.stringify(cluster)}`)
    if (!Array.isArray(d.entries)) throw new MembershipStoreError(this.file, 'has no entries list')
    const entries: Entry[] = []
    for (const [i, raw] of d.entries.entries()) {
      const e = parseEntry(raw)
      if (e === undefined) throw new MembershipStoreError(this.file, `entry ${i} is malformed: ${JSON.stringify(raw)}`)
      entries.push(e)
    }
    return entries
  }

  save (node: string, cluster: string, entries: readonly Entry[]): void {
    mkdirSync(this.dir, { recursive: true })
    const tmp = `${this.file}.${process.pid}.tmp`
    writeFileSync(tmp, JSON.stringify({ format: FORMAT, node, cluster, entries }, null, 2) + '\n', { mode: 0o600 })
    renameSync(tmp, this.file)
  }
}
