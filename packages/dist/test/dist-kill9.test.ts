// A node dying, across real OS processes: the test process is node t0, and
// n1, n2 run the `tekka` command. kill -9 of n1 closes its sockets at once
// (the OS does it), so its peers see nodedown `connection_closed`, and every
// monitor and link towards it fires `noconnection`, well before any tick
// could notice; a graceful stop (SIGTERM) says goodbye (`disconnect`); and a
// node restarted under the same name is a new incarnation whose old pids are
// dead. Latencies are measured from the moment of the signal to timestamps
// taken where the event happened (t0's listener, t0's processes, n2's own
// event log), so polling does not count towards them.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { fileURLToPath } from 'node:url'
import {
  silentLogger, isDownMessage, isExitMessage, TIMEOUT,
  type Pid, type DownMessage, type ExitMessage, type ProcessContext
} from '@tekka/actors'
import { startNode, type DistNode } from '../src/index.js'
import { spawnNode, stopAll, type NodeProcess, TEKKA_BIN } from '@tekka/testing/procs'
import { freePortRange } from '@tekka/testing/ports'
import { eventually, sleep, withTimeout } from '@tekka/testing/wait'

/** The `tekka` command, which runs the fixture app as a whole node. */
const BIN = TEKKA_BIN
const APP = fileURLToPath(new URL('./fixtures/signals-app.js', import.meta.url))
const COOKIE = 'kill9-test-cookie'
const T0 = 't0@127.0.0.1'
const N1 = 'n1@127.0.0.1'
const N2 = 'n2@127.0.0.1'
/**
 * Long enough that a 1 s detection can only come from the socket closing,
 * not from a tick; short enough that a link left half-open fails the test
 * quickly. Every node uses the same value (ticks need it).
 */
const TICK_MS = 4000
/** kill -9 -> nodedown / DOWN / EXIT, everywhere. */
const DETECT_MS = 1000

interface NodeEvent { type: 'nodeup' | 'nodedown', node: string, reason?: string, at: number }
interface Info { pid: Pid, links: Pid[], monitoredBy: Pid[], monitors: unknown[], trapExit: boolean }

let base = 0
let t0: DistNode
const procs = new Map<string, NodeProcess>()
/** nodeup / nodedown as t0 saw them, stamped in the listener. */
const t0Events: NodeEvent[] = []

async function startPeer (name: string): Promise<NodeProcess> {
  const p = spawnNode({
    entry: BIN,
    args: ['--name', name, '--cookie', COOKIE, '--set', `node.dist_base_port=${base}`, '--set', `node.tick_time=${TICK_MS}ms`, APP],
    env: { TEKKA_LOG: 'warn' },
    name
  })
  procs.set(name, p)
  await p.waitForLine(/^tekka: app .* started$/, 20_000)
  return p
}

function peer (name: string): NodeProcess {
  const p = procs.get(name)
  if (p === undefined) throw new Error(`${name} was never started`)
  return p
}

/** `name` up (started if not running) and connected to t0. */
async function ensurePeer (name: string): Promise<NodeProcess> {
  const p = procs.get(name)?.running === true ? peer(name) : await startPeer(name)
  assert.ok(await withTimeout(t0.connect(name), 10_000, `t0 connect ${name}`), `t0 connects to ${name}`)
  return p
}

const nodesOf = async (node: string): Promise<string[]> => await t0.call<string[]>(node, 'test.nodes', [], { timeout: 5000 })
const eventsOf = async (node: string): Promise<NodeEvent[]> => await t0.call<NodeEvent[]>(node, 'test.node_events', [], { timeout: 5000 })
const info = async (node: string, target: Pid | string): Promise<Info | null> => await t0.call<Info | null>(node, 'test.info', [target], { timeout: 5000 })
const has = (pids: readonly Pid[], pid: Pid): boolean => pids.some((p) => p.equals(pid))

/** Resolves with t0's next nodedown for `node` (stamped when the kernel emitted it). */
function nextNodedown (node: string): Promise<NodeEvent> {
  const since = t0Events.length
  const p = eventually(() => {
    const e = t0Events.slice(since).find((x) => x.type === 'nodedown' && x.node === node)
    if (e === undefined) throw new Error(`t0 saw no nodedown for ${node}; events since: ${JSON.stringify(t0Events.slice(since))}`)
    return e
  }, { timeout: 15_000, interval: 10, message: `t0 nodedown ${node}` })
  // Started before the kill: if the test fails before awaiting it, its timeout must not be an unhandled rejection.
  p.catch(() => {})
  return p
}

/**
 * A process on t0 that runs `setup` once it is scheduled, then keeps the
 * first message `match` accepts and the time it arrived (taken inside the
 * process, not by whoever awaits `caught`).
 */
function catcher<T> (setup: (ctx: ProcessContext) => (m: unknown) => boolean): { pid: Pid, caught: Promise<{ msg: T, at: number }> } {
  let resolve!: (v: { msg: T, at: number }) => void
  const caught = new Promise<{ msg: T, at: number }>((_resolve) => { resolve = _resolve })
  const pid = t0.spawn(async (ctx) => {
    const match = setup(ctx)
    const msg = await ctx.receive<T>(match)
    resolve({ msg, at: Date.now() })
  })
  return { pid, caught }
}

type Settled<T extends ReadonlyArray<readonly [string, Promise<unknown>]>> = { -readonly [K in keyof T]: Awaited<T[K][1]> }

/** Every promise's value, or an error naming each one that had not settled (or failed) within `ms`. */
async function allWithin<T extends ReadonlyArray<readonly [string, Promise<unknown>]>> (ms: number, entries: T): Promise<Settled<T>> {
  const results = await Promise.allSettled(entries.map(async ([what, p]) => await withTimeout(p, ms, what)))
  const failed = results.flatMap((r) => r.status === 'rejected' ? [(r.reason as Error).message] : [])
  if (failed.length > 0) throw new Error(failed.join('; '))
  return results.map((r) => (r as PromiseFulfilledResult<unknown>).value) as Settled<T>
}

test.before(async () => {
  base = await freePortRange(3)
  t0 = await startNode({ name: T0, cookie: COOKIE, basePort: base, tickTime: TICK_MS, logger: silentLogger() })
  t0.events.on('dist.nodeup', (e) => { t0Events.push({ type: 'nodeup', node: e.peer, at: Date.now() }) })
  t0.events.on('dist.nodedown', (e) => { t0Events.push({ type: 'nodedown', node: e.peer, reason: e.reason, at: Date.now() }) })
  await Promise.all([startPeer(N1), startPeer(N2)])
})

test.after(async () => {
  try {
    await t0?.stop()
  } finally {
    await stopAll('SIGKILL', 5000)
  }
})

test('mesh: t0 connects to n1 and n2, and the kernel gossip connects n1 and n2 to each other', async () => {
  await ensurePeer(N1)
  await ensurePeer(N2)
  assert.equal(t0.nodes(), [N1, N2])
  // Nobody asked n1 or n2 to connect to each other: t0 told each whom it knows.
  await eventually(async () => {
    const [seen1, seen2] = await Promise.all([nodesOf(N1), nodesOf(N2)])
    assert.equal(seen1, [N2, T0], 'n1 nodes()')
    assert.equal(seen2, [N1, T0], 'n2 nodes()')
  }, { timeout: 10_000, message: 'full mesh' })
})

test('kill -9: nodedown connection_closed, DOWN / EXIT noconnection for every monitor and link, on t0 and on n2, within 1 s', async () => {
  const p1 = await ensurePeer(N1)
  await ensurePeer(N2)
  await eventually(async () => (await nodesOf(N2)).includes(N1), { timeout: 10_000, message: 'n2 connected to n1' })

  // On n1: a process t0 monitors by pid, one t0 links to, one n2 monitors, and the registered `echo`.
  const [byPid, linked, watchedByN2] = await Promise.all([
    t0.call<Pid>(N1, 'test.spawn_waiter', [{}]),
    t0.call<Pid>(N1, 'test.spawn_waiter', [{}]),
    t0.call<Pid>(N1, 'test.spawn_waiter', [{}])
  ])

  const mon = catcher<DownMessage>((ctx) => {
    const ref = ctx.monitor(byPid)
    return (m) => isDownMessage(m) && m.ref.equals(ref)
  })
  const monName = catcher<DownMessage>((ctx) => {
    const ref = ctx.monitor({ name: 'echo', node: N1 })
    return (m) => isDownMessage(m) && m.ref.equals(ref)
  })
  const link = catcher<ExitMessage>((ctx) => {
    ctx.trapExit(true)
    ctx.link(linked)
    return (m) => isExitMessage(m) && m.from.equals(linked)
  })
  // n2's waiter reports `{ down }` here when its monitor of watchedByN2 fires.
  const fromN2 = catcher<{ down: DownMessage }>(() => (m) => typeof m === 'object' && m !== null && 'down' in m)
  const waiterN2 = await t0.call<Pid>(N2, 'test.spawn_waiter', [{ report: fromN2.pid }])
  assert.is(waiterN2.node, N2)
  t0.send(waiterN2, { monitor: watchedByN2 })

  // Every link and monitor is in place on n1 before the kill, so what fires
  // below is the node going down, not a monitor set on an already dead node.
  await eventually(async () => {
    const [a, b, c, d] = await Promise.all([info(N1, byPid), info(N1, 'echo'), info(N1, linked), info(N1, watchedByN2)])
    assert.ok(a !== null && has(a.monitoredBy, mon.pid), 'n1: t0 monitors the waiter by pid')
    assert.ok(b !== null && has(b.monitoredBy, monName.pid), 'n1: t0 monitors echo by name')
    assert.ok(c !== null && has(c.links, link.pid), 'n1: the waiter is linked to t0')
    assert.ok(d !== null && has(d.monitoredBy, waiterN2), 'n1: n2\'s waiter monitors the waiter')
  }, { timeout: 10_000, message: 'links and monitors set up on n1' })

  const eventsN2Before = (await eventsOf(N2)).length
  const down = nextNodedown(N1)
  const killedAt = Date.now()
  assert.ok(p1.kill('SIGKILL'), 'n1 signalled')
  const exit = await withTimeout(p1.exited, 10_000, 'n1 exit')
  assert.equal(exit, { code: null, signal: 'SIGKILL' })

  const [nd, dPid, dName, ex, rep] = await allWithin(15_000, [
    ['t0 nodedown n1', down],
    ['t0 DOWN (by pid)', mon.caught],
    ['t0 DOWN (by name)', monName.caught],
    ['t0 EXIT (link)', link.caught],
    ['n2 DOWN reported to t0', fromN2.caught]
  ] as const)
  // n2's own log of the nodedown, stamped on n2 (same machine clock).
  const ndN2 = await eventually(async () => {
    const e = (await eventsOf(N2)).slice(eventsN2Before).find((x) => x.type === 'nodedown' && x.node === N1)
    if (e === undefined) throw new Error('no nodedown for n1 on n2 yet')
    return e
  }, { timeout: 15_000, message: 'n2 logs nodedown n1' })

  assert.is(nd.reason, 'connection_closed', 't0 nodedown reason')
  assert.is(ndN2.reason, 'connection_closed', 'n2 nodedown reason')
  assert.is(dPid.msg.reason, 'noconnection', 'DOWN (by pid) reason')
  assert.ok((dPid.msg.pid as Pid).equals(byPid), 'DOWN (by pid) names the pid')
  assert.is(dName.msg.reason, 'noconnection', 'DOWN (by name) reason')
  assert.equal(dName.msg.pid, { name: 'echo', node: N1 }, 'DOWN (by name) names { name, node }')
  assert.is(ex.msg.reason, 'noconnection', 'EXIT reason')
  assert.is(rep.msg.down.reason, 'noconnection', 'DOWN on n2 reason')
  assert.ok((rep.msg.down.pid as Pid).equals(watchedByN2), 'DOWN on n2 names the pid')

  const latency = {
    t0_nodedown: nd.at - killedAt,
    t0_down_by_pid: dPid.at - killedAt,
    t0_down_by_name: dName.at - killedAt,
    t0_exit_link: ex.at - killedAt,
    n2_nodedown: ndN2.at - killedAt,
    // Includes n2 -> t0 delivery of the report: an upper bound for n2's DOWN.
    n2_down_reported_to_t0: rep.at - killedAt
  }
  console.log(`kill -9 -> detection (ms): ${JSON.stringify(latency)}`)
  for (const [what, ms] of Object.entries(latency)) {
    assert.ok(ms >= 0 && ms <= DETECT_MS, `${what} ${ms} ms after the kill (limit ${DETECT_MS} ms)`)
  }
  assert.not.ok(t0.nodes().includes(N1))
  assert.not.ok((await nodesOf(N2)).includes(N1), 'n2 no longer lists n1')
  // The waiter on n2 saw the DOWN and lives on.
  assert.ok(await t0.call<boolean>(N2, 'test.alive', [waiterN2]))
})

test('restart under the same name: a new creation; pids of the old incarnation are dead (monitor -> noproc, send -> no-op)', async () => {
  let p1 = await ensurePeer(N1)
  const oldCreation = await t0.call<number>(N1, 'test.creation')
  assert.is(t0.kernel.peerInfo(N1)?.creation, oldCreation)
  const old = await t0.call<Pid>(N1, 'test.spawn_waiter', [{}])
  assert.is(old.creation, oldCreation, 'a pid carries its incarnation')

  const down = nextNodedown(N1)
  p1.kill('SIGKILL')
  await withTimeout(p1.exited, 10_000, 'n1 exit')
  await down
  p1 = await ensurePeer(N1)
  const newCreation = await t0.call<number>(N1, 'test.creation')
  assert.is.not(newCreation, oldCreation, 'new creation')
  assert.is(t0.kernel.peerInfo(N1)?.creation, newCreation, 't0 holds a link to the new incarnation')

  // Pid ids restart from 1, so the new incarnation soon has a process with
  // the old pid's id: it must not be mistaken for the old one.
  const reports = catcher<never>(() => () => false)
  // Each test.spawn_waiter takes two ids (its rpc process, then the waiter), tekka.ping one.
  let twin: Pid | undefined
  for (let i = 0; i < 50 && twin === undefined; i++) {
    const w = await t0.call<Pid>(N1, 'test.spawn_waiter', [{ report: reports.pid }])
    if (w.id === old.id) twin = w
    else if (w.id > old.id) break
    else if ((old.id - w.id) % 2 === 1) await t0.call(N1, 'tekka.ping')
  }
  assert.ok(twin !== undefined, `a process of the new incarnation has id ${old.id}`)
  assert.is.not(twin.creation, old.creation)

  const r = await withTimeout(t0.run(async (ctx) => {
    const ref = ctx.monitor(old)
    const mdown = await ctx.receive<DownMessage>((m) => isDownMessage(m) && m.ref.equals(ref), { timeout: 10_000 })
    ctx.trapExit(true)
    ctx.link(old)
    const lexit = await ctx.receive<ExitMessage>((m) => isExitMessage(m) && m.from.equals(old), { timeout: 10_000 })
    // Sending to a dead pid does nothing, from a process or from outside one.
    ctx.send(old, { exit: 'delivered_to_the_wrong_incarnation' })
    t0.send(old, { exit: 'delivered_to_the_wrong_incarnation' })
    ctx.send(old, 'crash')
    return { mdown, lexit }
  }), 25_000, 'monitor / link of an old pid')
  assert.ok(r.mdown !== TIMEOUT, 'DOWN for the old pid')
  assert.is((r.mdown as DownMessage).reason, 'noproc')
  assert.ok(r.lexit !== TIMEOUT, 'EXIT for a link to the old pid')
  assert.is((r.lexit as ExitMessage).reason, 'noproc')

  // The sends above went out before this call on the same link: n1 has dealt with them.
  assert.is(await t0.call(N1, 'tekka.ping'), 'pong')
  await sleep(200)
  assert.ok(await t0.call<boolean>(N1, 'test.alive', [twin]), 'the new process with the same id was not hit')
  assert.not.ok(await t0.call<boolean>(N1, 'test.alive', [old]), 'the old pid is not alive on the new incarnation')
  assert.ok(t0.nodes().includes(N1), 'the link to n1 is still up')
  assert.ok(p1.running)
  assert.not.ok(p1.output().includes('protocol error'), 'no protocol error on n1')
})

test('SIGTERM: a graceful stop is nodedown `disconnect` (not a timeout) for its peers, and the process exits 0', async () => {
  await ensurePeer(N1)
  const p2 = await ensurePeer(N2)
  // n1 may be a fresh incarnation: t0's gossip connects it to n2.
  await eventually(async () => (await nodesOf(N1)).includes(N2), { timeout: 10_000, message: 'n1 connected to n2' })
  const eventsN1Before = (await eventsOf(N1)).length

  const down = nextNodedown(N2)
  const stoppedAt = Date.now()
  assert.ok(p2.kill('SIGTERM'))
  const exit = await withTimeout(p2.exited, 15_000, 'n2 exit after SIGTERM')
  assert.equal(exit, { code: 0, signal: null }, `n2 exits 0\n${p2.output()}`)
  assert.match(p2.output('stdout'), `tekka: ${N2} stopped`)

  const nd = await withTimeout(down, 15_000, 't0 nodedown n2')
  const ndN1 = await eventually(async () => {
    const e = (await eventsOf(N1)).slice(eventsN1Before).find((x) => x.type === 'nodedown' && x.node === N2)
    if (e === undefined) throw new Error('no nodedown for n2 on n1 yet')
    return e
  }, { timeout: 15_000, message: 'n1 logs nodedown n2' })
  assert.is(nd.reason, 'disconnect', 't0 nodedown reason')
  assert.is(ndN1.reason, 'disconnect', 'n1 nodedown reason')
  const latency = { t0_nodedown: nd.at - stoppedAt, n1_nodedown: ndN1.at - stoppedAt }
  console.log(`SIGTERM -> nodedown disconnect (ms): ${JSON.stringify(latency)}`)
  // Told, not timed out: long before the first missed tick could count.
  for (const [what, ms] of Object.entries(latency)) {
    assert.ok(ms >= 0 && ms < TICK_MS / 4, `${what} ${ms} ms after SIGTERM (a tick timeout takes ${TICK_MS} ms)`)
  }
  assert.not.ok(t0.nodes().includes(N2))
  assert.not.ok((await nodesOf(N1)).includes(N2))
})

test.run()
