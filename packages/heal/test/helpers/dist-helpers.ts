/**
 * The multi-process test helpers of @tekka/dist (spawned nodes, iptables
 * partitions with clean-up on every exit path, free ports, waiting), loaded
 * from that package's compiled tests: they are not part of its public
 * surface, and one copy of the clean-up logic is better than two.
 */
import type * as Procs from '../../../dist/dist/test/helpers/procs.js'
import type * as Iptables from '../../../dist/dist/test/helpers/iptables.js'
import type * as Ports from '../../../dist/dist/test/helpers/ports.js'
import type * as Wait from '../../../dist/dist/test/helpers/wait.js'

// Compiled, this file sits one directory deeper (packages/heal/dist/test/helpers).
const base = new URL('../../../../dist/dist/test/helpers/', import.meta.url)

export const procs = await import(new URL('procs.js', base).href) as typeof Procs
export const iptables = await import(new URL('iptables.js', base).href) as typeof Iptables
export const ports = await import(new URL('ports.js', base).href) as typeof Ports
export const wait = await import(new URL('wait.js', base).href) as typeof Wait
export type { NodeProcess } from '../../../dist/dist/test/helpers/procs.js'
export type { Partition } from '../../../dist/dist/test/helpers/iptables.js'
