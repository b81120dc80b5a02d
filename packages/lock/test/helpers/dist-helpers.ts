/**
 * dist's multi-process test helpers (ports, waits, real processes,
 * iptables partitions), used as they are rather than copied. They are
 * compiled next to dist's tests; the path to them differs between this
 * file's source and its compiled copy, so they are loaded by a URL relative
 * to the compiled file, typed from their declaration files.
 */
type Ports = typeof import('../../../dist/dist/test/helpers/ports.js')
type Wait = typeof import('../../../dist/dist/test/helpers/wait.js')
type Procs = typeof import('../../../dist/dist/test/helpers/procs.js')
type Iptables = typeof import('../../../dist/dist/test/helpers/iptables.js')

// Compiled: packages/lock/dist/test/helpers/ -> packages/dist/dist/test/helpers/
const base = new URL('../../../../dist/dist/test/helpers/', import.meta.url)
const load = async <T>(file: string): Promise<T> => await import(new URL(file, base).href) as T

export const ports = await load<Ports>('ports.js')
export const wait = await load<Wait>('wait.js')

/** Loaded on demand: they install exit hooks that only the process tests need. */
export const procs = async (): Promise<Procs> => await load<Procs>('procs.js')
export const iptables = async (): Promise<Iptables> => await load<Iptables>('iptables.js')

export type { NodeProcess } from '../../../dist/dist/test/helpers/procs.js'
export type { Partition } from '../../../dist/dist/test/helpers/iptables.js'
