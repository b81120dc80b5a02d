/**
 * Network partitions between loopback addresses, made with iptables DROP
 * rules, for partition, autoheal and tick-timeout tests on one machine.
 *
 * ```ts
 * await requireIptables('the partition tests')      // fails the test (never skips) without root and iptables
 * const p = await partition('127.0.0.2', '127.0.0.3')   // both directions
 * ...                                                    // packets vanish: connects time out, links tick out
 * await p.heal()
 * ```
 *
 * Rules live in one chain per test process, `TEKKA-TEST-<pid>`, jumped to from
 * the top of INPUT and OUTPUT, so this process's rules are easy to find and
 * remove and never touch anyone else's. The chain is removed on every exit
 * path the process can see (normal end, thrown error, SIGINT / SIGTERM /
 * SIGHUP, see exit-hooks.ts). A process killed by SIGKILL leaves its chain
 * behind; the next use of this helper on the machine removes chains whose
 * process is gone (`sweepStaleChains`).
 *
 * Only 127.0.0.0/8 addresses are accepted: a typo must not cut the machine
 * off its network. Rules match whole addresses, so every process on the
 * machine using those addresses is affected: tests that partition should use
 * addresses no other concurrently running test uses, or run serially
 * (`*.serial.test.ts`).
 *
 * Which binary: the first of `iptables`, `iptables-nft`, `iptables-legacy`
 * (or just $TEKKA_IPTABLES) that passes a functional probe: a DROP rule it
 * adds must really make a loopback connect time out. A backend that lists
 * rules but does not enforce them (some sandboxes) is thus never chosen.
 */
import { execFile, spawnSync } from 'node:child_process'
import { realpathSync } from 'node:fs'
import { connect, createServer, type Server } from 'node:net'
import { BadArgError } from '@tekka/actors'
import { IptablesError, MissingSystemError } from './errors.js'
import { onExit } from './exit-hooks.js'
import { isLoopbackV4 } from './ports.js'
import { pidAlive as alive } from './procs.js'
import { INSTALL_HINT, findCommand, requireRoot } from './system.js'

export { IptablesError } from './errors.js'

/** Prefix of the chains this helper creates (`TEKKA-TEST-<pid>`, and `TEKKA-PROBE-<pid>` while probing). */
export const CHAIN_PREFIX = 'TEKKA-'
const CHAIN_RE = /^TEKKA-(?:TEST|PROBE)-(\d+)$/
const HOOKS = ['INPUT', 'OUTPUT'] as const
/** Wait for the xtables lock instead of failing when another process holds it (parallel test files). */
const WAIT = ['-w', '10']

/** This process's rule chain. */
export function chainName (pid: number = process.pid): string {
  return `TEKKA-TEST-${pid}`
}

// ---------------------------------------------------------------- running iptables

function runSync (bin: string, args: readonly string[]): { ok: boolean, stdout: string, stderr: string } {
  const r = spawnSync(bin, [...WAIT, ...args], { encoding: 'utf8', timeout: 30_000 })
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr: (r.stderr ?? '') + (r.error !== undefined ? String(r.error) : '') }
}

async function run (bin: string, args: readonly string[]): Promise<string> {
  return await new Promise((resolve, reject) => {
    execFile(bin, [...WAIT, ...args], { encoding: 'utf8', timeout: 30_000 }, (err, stdout, stderr) => {
      if (err === null) resolve(stdout)
      else reject(new IptablesError(`${bin} ${args.join(' ')} failed: ${stderr.trim() || err.message}`, args, stderr))
    })
  })
}

/** Chain names defined in a backend's filter table (warnings such as "legacy tables present" are skipped). */
function listChains (bin: string): string[] {
  const r = runSync(bin, ['-S'])
  if (!r.ok) return []
  return r.stdout.split('\n').flatMap((l) => {
    const m = /^-N (\S+)$/.exec(l.trim())
    return m === null ? [] : [m[1]]
  })
}

/** Unhook, flush and delete a chain; ignores what is already gone. Synchronous, for exit paths. */
function removeChainSync (bin: string, chain: string): void {
  for (const hook of HOOKS) {
    // Hooked more than once is possible after a crash mid-setup; remove all.
    for (let i = 0; i < 10 && runSync(bin, ['-D', hook, '-j', chain]).ok; i++);
  }
  runSync(bin, ['-F', chain])
  runSync(bin, ['-X', chain])
}

// ---------------------------------------------------------------- choosing a backend

/** What probing each candidate binary found. */
export interface BackendProbe {
  readonly bin: string
  readonly ok: boolean
  readonly reason?: string
}

let backend: Promise<string | undefined> | undefined
let probes: BackendProbe[] = []

function candidates (): string[] {
  const forced = process.env.TEKKA_IPTABLES
  return forced !== undefined && forced !== '' ? [forced] : ['iptables', 'iptables-nft', 'iptables-legacy']
}

/** Every installed candidate binary, one per distinct implementation (the `iptables` alternative is one of the others). */
function installedBackends (): string[] {
  const seen = new Set<string>()
  const out: string[] = []
  for (const c of ['iptables', 'iptables-nft', 'iptables-legacy', ...candidates()]) {
    const p = findCommand(c)
    if (p === undefined) continue
    let real = p
    // xtables-*-multi picks its mode from argv[0], so dedupe on the link name's target family.
    try { real = realpathSync(p) } catch {}
    if (seen.has(real)) continue
    seen.add(real)
    out.push(p)
  }
  return out
}

async function listenOn (host: string): Promise<Server> {
  return await new Promise((resolve, reject) => {
    const srv = createServer((s) => { s.on('error', () => {}); s.destroy() })
    srv.once('error', reject)
    srv.listen(0, host, () => { resolve(srv) })
  })
}

/** 'connected', 'timeout' or an error code, for a connect from `from` to `host:port` within `ms`. */
export async function tryConnect (from: string, host: string, port: number, ms: number): Promise<string> {
  return await new Promise((resolve) => {
    const s = connect({ host, port, localAddress: from })
    const timer = setTimeout(() => { s.destroy(); resolve('timeout') }, ms)
    s.once('connect', () => { clearTimeout(timer); s.destroy(); resolve('connected') })
    s.once('error', (e: NodeJS.ErrnoException) => { clearTimeout(timer); resolve(e.code ?? e.message) })
  })
}

async function probe (bin: string): Promise<BackendProbe> {
  const path = findCommand(bin)
  if (path === undefined) return { bin, ok: false, reason: 'not installed' }
  const list = runSync(path, ['-L', 'INPUT', '-n'])
  if (!list.ok) return { bin, ok: false, reason: `cannot list rules: ${list.stderr.trim()}` }
  const from = '127.0.0.253'; const to = '127.0.0.254'
  const srv = await listenOn(to)
  const chain = `TEKKA-PROBE-${process.pid}`
  const unregister = onExit(() => { removeChainSync(path, chain) })
  try {
    const port = (srv.address() as { port: number }).port
    const before = await tryConnect(from, to, port, 2000)
    if (before !== 'connected') return { bin, ok: false, reason: `loopback ${from} -> ${to} does not connect even without rules (${before})` }
    await run(path, ['-N', chain])
    for (const hook of HOOKS) await run(path, ['-I', hook, '1', '-j', chain])
    await run(path, ['-A', chain, '-s', from, '-d', to, '-p', 'tcp', '--dport', String(port), '-j', 'DROP'])
    const during = await tryConnect(from, to, port, 500)
    if (during !== 'timeout') return { bin, ok: false, reason: `a DROP rule does not stop a connect (${during})` }
    return { bin: path, ok: true }
  } catch (err) {
    return { bin, ok: false, reason: err instanceof Error ? err.message : String(err) }
  } finally {
    removeChainSync(path, chain)
    unregister()
    srv.close()
  }
}

async function chooseBackend (): Promise<string | undefined> {
  probes = []
  if (process.platform !== 'linux') {
    probes.push({ bin: 'iptables', ok: false, reason: 'not Linux' })
    return undefined
  }
  if (process.getuid?.() !== 0) {
    probes.push({ bin: 'iptables', ok: false, reason: 'needs root' })
    return undefined
  }
  sweepStaleChains()
  for (const c of candidates()) {
    const p = await probe(c)
    probes.push(p)
    if (p.ok) return p.bin
  }
  return undefined
}

/** True when partitions can be made here: Linux, root, and a backend whose DROP rules really drop. Probed once per process. */
export async function iptablesAvailable (): Promise<boolean> {
  return (await (backend ??= chooseBackend())) !== undefined
}

/** Path of the working iptables binary; throws an IptablesError saying why each candidate failed. */
export async function iptablesBackend (): Promise<string> {
  const b = await (backend ??= chooseBackend())
  if (b === undefined) throw new IptablesError(`no working iptables: ${unavailableReason()}`)
  return b
}

/**
 * The working iptables binary, or a MissingSystemError naming what is
 * missing (root, the iptables package, a backend that enforces its rules)
 * and how to get it. Tests that partition call this first, so without root
 * they fail with that message instead of skipping.
 */
export async function requireIptables (what = 'this test'): Promise<string> {
  requireRoot(`${what} (iptables partitions)`)
  const b = await (backend ??= chooseBackend())
  if (b !== undefined) return b
  if (probes.every((p) => p.reason === 'not installed')) {
    throw new MissingSystemError(what, 'the iptables command', `install the Debian package iptables (apt-get install iptables); ${INSTALL_HINT}`)
  }
  throw new MissingSystemError(what, 'an iptables whose DROP rules take effect on loopback', 'run it on a Linux machine (not a sandbox that ignores netfilter rules), or set TEKKA_IPTABLES to a working binary', unavailableReason())
}

/** Why iptables is unavailable (after `iptablesAvailable()` returned false). */
export function unavailableReason (): string {
  return probes.filter((p) => !p.ok).map((p) => `${p.bin}: ${p.reason ?? '?'}`).join('; ')
}

/** The probe results so far. */
export function backendProbes (): readonly BackendProbe[] {
  return probes
}

// ---------------------------------------------------------------- stale chains

/** TEKKA chains present in every installed backend (`bin` to look in one), e.g. to check that none was left behind. */
export function listTekkaChains (bin?: string): Array<{ bin: string, chain: string, pid: number }> {
  const bins = bin === undefined ? installedBackends() : [bin]
  return bins.flatMap((b) => listChains(b).flatMap((chain) => {
    const m = CHAIN_RE.exec(chain)
    return m === null ? [] : [{ bin: b, chain, pid: Number(m[1]) }]
  }))
}

/**
 * Remove TEKKA chains whose process no longer exists, in every installed
 * backend (a chain left in the other backend would still drop packets).
 * Returns the chains removed.
 */
export function sweepStaleChains (): string[] {
  if (process.getuid?.() !== 0) return []
  const removed: string[] = []
  for (const c of listTekkaChains()) {
    if (c.pid === process.pid || alive(c.pid)) continue
    removeChainSync(c.bin, c.chain)
    removed.push(c.chain)
  }
  return removed
}

// ---------------------------------------------------------------- partitions

let chainBin: string | undefined
let unregisterCleanup: (() => void) | undefined
let queue: Promise<unknown> = Promise.resolve()
const active = new Set<Partition>()

/** Run iptables changes one after another: two partitions made at once must not both create the chain. */
async function serialized<T> (fn: () => Promise<T>): Promise<T> {
  const next = queue.then(fn, fn)
  queue = next.catch(() => {})
  return await next
}

async function ensureChain (): Promise<string> {
  if (chainBin !== undefined) return chainBin
  const bin = await iptablesBackend()
  const chain = chainName()
  // Registered before the chain exists, so a crash half-way is cleaned up too.
  unregisterCleanup = onExit(cleanupIptables)
  chainBin = bin
  if (listChains(bin).includes(chain)) removeChainSync(bin, chain) // left by an earlier process with our pid
  await run(bin, ['-N', chain])
  // At the top: an ACCEPT earlier in INPUT/OUTPUT (docker, ufw) must not bypass the partition.
  for (const hook of HOOKS) await run(bin, ['-I', hook, '1', '-j', chain])
  return bin
}

export interface PartitionOptions {
  /**
   * Drop only packets from the first side to the second. Note that TCP needs
   * both directions: a one-way partition also stops new connections from
   * the second side (their replies are dropped), but lets the first side
   * still receive on existing links, which is how asymmetric failures look.
   */
  oneWay?: boolean
  /**
   * Cut only TCP traffic to or from these ports (`[low, high]`, inclusive):
   * the listening ports of the test's own nodes. Links between other
   * processes on the same addresses (another test file running at the same
   * time) are left alone. Every link of a node has its listening port at
   * one end (dialled as destination port, answered as source port), so the
   * two rules per direction cut all of them. Default: every packet.
   */
  ports?: readonly [number, number]
}

/** A set of DROP rules, removed by `heal()`. */
export class Partition {
  readonly from: readonly string[]
  readonly to: readonly string[]
  readonly oneWay: boolean
  readonly #rules: ReadonlyArray<readonly string[]>
  #healed = false

  /** @internal use partition / partitionGroups */
  constructor (from: readonly string[], to: readonly string[], oneWay: boolean, ports?: readonly [number, number]) {
    this.from = from
    this.to = to
    this.oneWay = oneWay
    const rules: string[][] = []
    const matches: string[][] = ports === undefined
      ? [[]]
      : [['-p', 'tcp', '--dport', `${ports[0]}:${ports[1]}`], ['-p', 'tcp', '--sport', `${ports[0]}:${ports[1]}`]]
    for (const a of from) {
      for (const b of to) {
        for (const m of matches) {
          rules.push(['-s', a, '-d', b, ...m, '-j', 'DROP'])
          if (!oneWay) rules.push(['-s', b, '-d', a, ...m, '-j', 'DROP'])
        }
      }
    }
    this.#rules = rules
  }

  get healed (): boolean { return this.#healed }

  /** @internal the chain was removed as a whole */
  markHealed (): void { this.#healed = true }

  /** @internal */
  get rules (): ReadonlyArray<readonly string[]> { return this.#rules }

  /** Remove this partition's rules (other partitions stay). Safe to call twice. */
  async heal (): Promise<void> {
    await serialized(async () => {
      if (this.#healed) return
      this.#healed = true
      active.delete(this)
      if (chainBin === undefined) return
      const bin = chainBin
      for (const r of this.#rules) await run(bin, ['-D', chainName(), ...r])
    })
  }

  toString (): string {
    return `${this.from.join(',')} ${this.oneWay ? '-/->' : '<-/->'} ${this.to.join(',')}`
  }
}

function checkAddresses (xs: readonly string[], what: string): void {
  if (xs.length === 0) throw new BadArgError(`${what}: no addresses`)
  for (const x of xs) {
    if (!isLoopbackV4(x)) throw new BadArgError(`${what}: ${JSON.stringify(x)} is not a 127.0.0.0/8 address (only loopback addresses may be partitioned)`)
  }
}

/** Cut `a` off from `b` (both directions unless `oneWay`). Packets are dropped, not refused: connects time out, as in a real partition. */
export async function partition (a: string, b: string, opts: PartitionOptions = {}): Promise<Partition> {
  return await partitionGroups([a], [b], opts)
}

/** Cut every address of `side1` off from every address of `side2`, e.g. a majority from a minority. */
export async function partitionGroups (side1: readonly string[], side2: readonly string[], opts: PartitionOptions = {}): Promise<Partition> {
  checkAddresses(side1, 'partition side 1')
  checkAddresses(side2, 'partition side 2')
  const overlap = side1.filter((x) => side2.includes(x))
  if (overlap.length > 0) throw new BadArgError(`an address cannot be partitioned from itself: ${overlap.join(', ')}`)
  const ports = opts.ports
  if (ports !== undefined) {
    const [lo, hi] = ports
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 1 || hi > 65535 || lo > hi) throw new BadArgError(`partition ports: ${JSON.stringify(ports)} is not a range [low, high] of ports`)
  }
  const p = new Partition([...side1], [...side2], opts.oneWay === true, ports)
  await serialized(async () => {
    const bin = await ensureChain()
    active.add(p)
    for (const r of p.rules) await run(bin, ['-A', chainName(), ...r])
  })
  return p
}

/** Heal every partition of this process (the chain stays, empty). */
export async function healAll (): Promise<void> {
  for (const p of [...active]) await p.heal()
}

/**
 * Remove this process's chain and all its rules. Synchronous, so it can run
 * from exit and signal handlers; registered with them automatically. Tests
 * may call it too (`test.after`).
 */
export function cleanupIptables (): void {
  for (const p of active) p.markHealed()
  active.clear()
  if (chainBin !== undefined) removeChainSync(chainBin, chainName())
  chainBin = undefined
  unregisterCleanup?.()
  unregisterCleanup = undefined
}
