/**
 * The compliance suite of the discovery strategy contract
 * (`@tekka/discovery`'s strategy.ts): every strategy runs it, against real
 * nodes (and, for registry strategies, its real server). A test file per
 * strategy calls `strategyCompliance` with the factory and a way to make
 * nodes known to the strategy; the suite is one uvu suite, run at once.
 *
 * ```ts
 * import { strategyCompliance } from '@tekka/testing/compliance/strategy'
 * import { staticStrategy } from '@tekka/discovery'
 *
 * strategyCompliance({
 *   name: 'static',
 *   factory: staticStrategy,
 *   init: (nodes) => ({ seeds: nodes })
 * })
 * ```
 *
 * What it checks: a name and methods that come in pairs (lock / unlock,
 * register / unregister); discover gives well-formed names, no duplicates,
 * every node known to it, as a copy; register / unregister round trip and
 * are idempotent; lock excludes a second locker and unlock releases only the
 * holder's lock; start and stop are safe twice (stop without start too); a
 * stopped strategy's calls all settle and never throw synchronously, and the
 * autocluster actor given one runs its rounds without crashing.
 */
import { suite } from 'uvu'
import * as assert from 'uvu/assert'
import { memoryLogger, type LogRecord } from '@tekka/actors'
import { nodeNameProblem, startNode, type DistNode } from '@tekka/dist'
import { autocluster, strategyComponents, type Strategy, type StrategyFactory } from '@tekka/discovery'
import { freePortRange } from '../ports.js'
import { eventually, withTimeout } from '../wait.js'

export interface ComplianceTarget<Init> {
  /** The strategy's name, as `strategy.name` says it. */
  name: string
  /** What the suite is called, when one strategy runs it more than once (`mdns over IPv6`). Default `name`. */
  title?: string
  factory: StrategyFactory<Init>
  /**
   * The init of the strategy of node `self` in a world where `nodes` (names
   * of running nodes, `self` among them) are known to it: static gives them
   * as seeds; a registry strategy gives its server, and nodes become known by
   * registering (the suite registers them when the strategy can).
   */
  init(nodes: readonly string[], self: string): Init | Promise<Init>
  /** The strategy knows no node by design (manual): discover is always empty. */
  knowsNothing?: boolean
  /** Nodes to start (default 3). */
  nodes?: number
  /**
   * Name of node i (0-based); default `s<i+1>@127.0.0.1`. Strategies that
   * build names from addresses (dns, k8s) give `app@127.0.0.<n>` here.
   */
  nodeName?(i: number): string
  /** Called once the nodes run, before any strategy is made (start a server that lists them). */
  setup?(nodes: readonly string[]): Promise<void>
  teardown?(): Promise<void>
}

const SETTLE_MS = 5000

/** Defines and runs the suite for one strategy. */
export function strategyCompliance<Init> (target: ComplianceTarget<Init>): void {
  const s = suite(`strategy compliance: ${target.title ?? target.name}`)
  const count = target.nodes ?? 3
  let nodes: DistNode[] = []
  let names: string[] = []
  const made: Strategy[] = []
  let records: LogRecord[] = []
  const stop = new AbortController()

  const make = async (i: number): Promise<Strategy> => {
    const node = nodes[i]
    const strategy = target.factory(await target.init(names, node.name))(strategyComponents(node.components, target.name, stop.signal))
    made.push(strategy)
    return strategy
  }

  s.before(async () => {
    const base = await freePortRange(count + 1)
    const logger = memoryLogger('tekka')
    records = logger.records
    nodes = await Promise.all(Array.from({ length: count }, async (_, i) =>
      await startNode({ name: target.nodeName?.(i) ?? `s${i + 1}@127.0.0.1`, cookie: 'compliance', basePort: base, logger })))
    names = nodes.map((n) => n.name)
    await target.setup?.(names)
  })

  s.after(async () => {
    for (const st of made.splice(0)) await st.stop?.()
    stop.abort()
    for (const n of nodes) await n.stop()
    await target.teardown?.()
  })

  s('it has a name, and methods that come in pairs', async () => {
    const st = await make(0)
    assert.is(st.name, target.name)
    assert.type(st.discover, 'function')
    assert.is(typeof st.lock, typeof st.unlock, 'lock and unlock: both or neither')
    assert.is(typeof st.register, typeof st.unregister, 'register and unregister: both or neither')
  })

  s('discover gives well-formed node names, no duplicates, every node known to it', async () => {
    const all = await Promise.all(nodes.map(async (_, i) => await make(i)))
    for (const st of all) await st.start?.()
    for (const st of all) await st.register?.()
    await eventually(async () => {
      const found = await all[0].discover()
      assert.ok(Array.isArray(found), 'a list')
      for (const n of found) assert.is(nodeNameProblem(n), undefined, `${String(n)} is a node name`)
      assert.is(new Set(found).size, found.length, 'no duplicates')
      if (target.knowsNothing === true) assert.equal(found, [])
      else for (const n of names.slice(1)) assert.ok(found.includes(n), `${n} discovered`)
    }, { timeout: SETTLE_MS, message: 'discover' })
    // Its answer is its own copy: changing it changes nothing.
    const once = await all[1].discover()
    once.push('intruder@127.0.0.1')
    assert.not.ok((await all[1].discover()).includes('intruder@127.0.0.1'))
    for (const st of all) await st.unregister?.()
  })

  s('register / unregister round trip (when it has a registry)', async () => {
    const mine = await make(0)
    const theirs = await make(1)
    if (typeof mine.register !== 'function') return
    await mine.start?.()
    await theirs.start?.()
    await mine.register()
    await mine.register() // idempotent
    await eventually(async () => (await theirs.discover()).filter((n) => n === names[0]).length === 1, { timeout: SETTLE_MS, message: 'listed once after register' })
    await mine.unregister?.()
    await mine.unregister?.() // idempotent
    await eventually(async () => !(await theirs.discover()).includes(names[0]), { timeout: SETTLE_MS, message: 'gone after unregister' })
  })

  s('lock excludes a second locker; unlock releases it; unlock of a lock not held is harmless (when it has a lock)', async () => {
    const a = await make(0)
    const b = await make(1)
    if (typeof a.lock !== 'function') return
    await a.start?.()
    await b.start?.()
    assert.is(await a.lock(), true)
    assert.is(await b.lock?.(), false, 'held by a')
    await a.unlock?.()
    assert.is(await b.lock?.(), true, 'released by a')
    await a.unlock?.() // a does not hold it: b keeps it
    assert.is(await a.lock(), false, 'still held by b')
    await b.unlock?.()
    assert.is(await a.lock(), true)
    await a.unlock?.()
  })

  s('start and stop are safe twice; stop without start too', async () => {
    const st = await make(2 % count)
    await st.start?.()
    await st.start?.()
    await st.stop?.()
    await st.stop?.()
    const fresh = await make(0)
    await fresh.stop?.()
  })

  s('a stopped strategy: calls settle, never throw synchronously, and the autocluster actor survives', async () => {
    const st = await make(0)
    await st.start?.()
    await st.stop?.()
    for (const call of ['discover', 'register', 'unregister', 'lock', 'unlock'] as const) {
      const fn = st[call]
      if (typeof fn !== 'function') continue
      let p: Promise<unknown>
      try {
        p = (fn as () => Promise<unknown>).call(st)
      } catch (err) {
        assert.unreachable(`${call}() on a stopped strategy threw synchronously: ${(err as Error).message}`)
        return
      }
      await withTimeout(Promise.resolve(p).catch(() => undefined), SETTLE_MS, `${call}() on a stopped strategy`)
    }
    // The actor, given a stopped strategy, runs its rounds and lives on.
    const node = nodes[0]
    const ac = autocluster({ interval: 50, callTimeout: 1000, probeTimeout: 1000, jitter: 0, ctl: false })({ ...node.components, strategy: st })
    const crashes = records.filter((r) => r.msg === 'process crashed').length
    await ac.start()
    const pid = ac.pid
    try {
      await eventually(() => ac.status().rounds >= 3 || ac.state === 'complete', { timeout: SETTLE_MS, message: 'rounds on a stopped strategy' })
      assert.ok(pid !== undefined && ac.pid?.equals(pid), 'the same actor: no crash')
      assert.is(records.filter((r) => r.msg === 'process crashed').length, crashes)
    } finally {
      await ac.stop()
    }
  })

  s.run()
}
