// Autoheal between real processes with real partitions: five `tekka` nodes
// n2@127.0.0.2 ... n6@127.0.0.6 (tick_time 2 s, autoheal_delay 3 s) in one
// cluster, cut apart by iptables DROP rules (removed on every exit path).
// Each scenario ends with one cluster: the same `cluster status` on every
// node, no partitions, the minority's application restarted exactly once and
// the majority's not at all, within the autoheal delay + 10 s after the last
// fault (as the issue asks; quiet runs take 3.5-4.1 s, so the bound has a
// wide margin: it catches a heal that stalls, not a slow machine; the time
// itself is measured by the heal.converge benchmark); the leader's log (its
// heal.decision event, at info) names the nodes it rebooted.
//
// Serial: the rules drop only the packets of this cluster's ports, but the
// partition timings are disturbed by other heavy suites.
// Needs root and iptables (the test command installs it): without them the
// tests fail, saying why.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { RealCluster } from './helpers/real-cluster.js'
import * as iptables from '@tekka/testing/iptables'
import * as wait from '@tekka/testing/wait'
import type { Partition } from '@tekka/testing/iptables'

// TEKKA_HEAL_TEST_NET=127.0.9 moves the nodes to 127.0.9.2 ... (away from another suite's partitions while developing).
const NET = process.env.TEKKA_HEAL_TEST_NET ?? '127.0.0'
const NAMES = [2, 3, 4, 5, 6].map((i) => `n${i}@${NET}.${i}`)
const [N2, N3, N4, N5, N6] = NAMES as [string, string, string, string, string]
/** Started late: n5 coming back with a new address. */
const N7 = `n7@${NET}.7`
const TICK = 2000
const DELAY = 3000
/** The issue's bound: one cluster within the autoheal delay + 10 s of the last fault. */
const BOUND = DELAY + 10_000
/** Flapping: cut this long (every link ticks out), then this long back, three times. */
const FLAP_CUT = 4000
const FLAP_BACK = 1000

const host = (n: string): string => n.split('@')[1]
const short = (n: string): string => n.split('@')[0]
let cluster: RealCluster | undefined
const c = (): RealCluster => {
  if (cluster === undefined) throw new Error('the cluster did not start')
  return cluster
}

async function requireIptables (): Promise<void> {
  await iptables.requireIptables('heal partition tests')
}

/** Cuts every group off from every other (one way: only from the first group to the second). */
async function cut (groups: string[][], oneWay: boolean): Promise<Partition[]> {
  const out: Partition[] = []
  for (let i = 0; i < groups.length; i++) {
    for (let j = i + 1; j < groups.length; j++) {
      out.push(await iptables.partitionGroups(groups[i].map(host), groups[j].map(host), { oneWay, ports: c().portRange }))
    }
  }
  return out
}

/** Until every node sees every node of the other groups down (asked from here, over links that are not cut). */
async function apart (groups: string[][]): Promise<void> {
  await wait.eventually(async () => {
    for (const g of groups) {
      for (const n of g) {
        const s = await c().status(n)
        const others = groups.filter((h) => h !== g).flat()
        const up = s.members.filter((m) => others.includes(m.node) && m.status !== 'down')
        if (up.length > 0) throw new Error(`${n} still sees ${up.map((m) => m.node).join(',')}`)
      }
    }
  }, { timeout: 8 * TICK, interval: 100, message: 'both sides see each other down' })
}

interface Scenario {
  groups: string[][]
  /** Expected to be rebooted: everyone outside the surviving group. */
  victims: string[]
  oneWay?: boolean
  flaps?: number
  names?: string[]
  /** Members that are down for everyone throughout (a node gone for good). */
  down?: string[]
}

async function scenario (s: Scenario): Promise<void> {
  await requireIptables()
  const names = s.names ?? NAMES
  const down = s.down ?? []
  assert.is(await c().oneCluster(names, down), undefined, `one cluster before the partition\n${c().tails()}`)
  const before = await c().appStarts(names)
  const marks = c().marks()
  let parts: Partition[] = []
  let healed = 0
  try {
    const flaps = s.flaps ?? 1
    for (let f = 0; f < flaps; f++) {
      const cutAt = Date.now()
      parts = await cut(s.groups, s.oneWay === true)
      await apart(s.groups)
      if (flaps > 1) await wait.sleep(Math.max(0, FLAP_CUT - (Date.now() - cutAt)))
      for (const p of parts) await p.heal()
      healed = Date.now()
      if (f < flaps - 1) await wait.sleep(FLAP_BACK)
    }
  } finally {
    for (const p of parts) await p.heal()
  }
  // One cluster again, the minority's application restarted.
  let took = 0
  try {
    await wait.eventually(async () => {
      const why = await c().oneCluster(names, down)
      if (why !== undefined) throw new Error(why)
      const now = await c().appStarts(names)
      for (const v of s.victims) if (now.get(v)! <= before.get(v)!) throw new Error(`${v} has not restarted its application yet`)
      took = Date.now() - healed
    }, { timeout: BOUND + 30_000, interval: 200, message: 'one cluster after the partition' })
  } catch (err) {
    assert.unreachable(`${(err as Error).message}\n${c().tails()}`)
  }
  console.log(`${s.groups.map((g) => g.map(short).join(',')).join(' | ')}${s.oneWay === true ? ' (one way)' : ''}${s.flaps !== undefined ? ` flapping ${s.flaps} times` : ''}: one cluster ${took} ms after the last fault, rebooted ${s.victims.map(short).join(',')}`)
  assert.ok(took <= BOUND, `one cluster ${took} ms after the last fault: more than the delay + 10 s\n${c().tails()}`)
  // Exactly once: nothing more happens after a while.
  await wait.sleep(DELAY + 2000)
  assert.is(await c().oneCluster(names, down), undefined, `still one cluster\n${c().tails()}`)
  const after = await c().appStarts(names)
  for (const n of names) {
    const restarts = after.get(n)! - before.get(n)!
    assert.is(restarts, s.victims.includes(n) ? 1 : 0, `${n} restarted its application ${restarts} times\n${c().tails()}`)
  }
  // The leader's log says what it decided, and why: the heal.decision event is its log line, with the views and the plan.
  const decisions = names.flatMap((n) => c().lines(n, /\bheal\.decision\b.* decision=heal\b/, marks.get(n)))
  assert.is(decisions.length, 1, `one heal decision in the logs:\n${decisions.join('\n')}`)
  const plan = /\bplan=(\{.*\})$/.exec(decisions[0])
  assert.ok(plan !== null, decisions[0])
  assert.equal((JSON.parse(plan[1]) as { victims: string[] }).victims.sort(), [...s.victims].sort(), 'the decision names the rebooted nodes')
  assert.match(decisions[0], / views=\[\{/, 'the decision is logged with the views it was made from')
  for (const v of s.victims) assert.ok(c().lines(v, /\bheal\.reboot\b.* phase=shutdown\b/, marks.get(v)).length === 1, `${v} logged its reboot once`)
}

test.before(async () => {
  // Without root and a working iptables this fails the file, naming what is missing.
  await requireIptables()
  cluster = new RealCluster({ names: NAMES, spare: [N7], tickTime: TICK, delay: DELAY })
  await cluster.start()
})

test.after(async () => {
  try {
    iptables.cleanupIptables()
  } finally {
    await cluster?.stop()
  }
})

test('iptables can partition loopback addresses here (root, a backend whose DROP rules drop)', async () => {
  await requireIptables()
})

test('3|2 symmetric, the leader on the minority side: n2 and n6 rebooted once, by n3 (the oldest survivor)', async () => {
  await scenario({ groups: [[N3, N4, N5], [N2, N6]], victims: [N2, N6] })
})

test('3|2 one way (n2,n3,n4 -/-> n5,n6): the minority rebooted once', async () => {
  await scenario({ groups: [[N2, N3, N4], [N5, N6]], victims: [N5, N6], oneWay: true })
})

test('2|2|1 with the oldest node alone: the pair holding the older member survives, three nodes rebooted in one heal', async () => {
  await scenario({ groups: [[N2], [N3, N4], [N5, N6]], victims: [N2, N5, N6] })
})

test('a 3|2 partition that flaps three times: healed once, after it settles', async () => {
  await scenario({ groups: [[N2, N4, N6], [N3, N5]], victims: [N3, N5], flaps: 3 })
})

test('2|2 of four nodes: the half holding the oldest member wins', async () => {
  await requireIptables()
  // n6 leaves: a cluster of four.
  await c().call(N6, 'test.leave', [], 10_000)
  const four = [N2, N3, N4, N5]
  await wait.eventually(async () => {
    const why = await c().oneCluster(four)
    if (why !== undefined) throw new Error(why)
  }, { timeout: 10_000, interval: 200, message: 'n6 gone from the cluster' })
  await scenario({ groups: [[N2, N5], [N3, N4]], victims: [N3, N4], names: four })
})

test('a member that comes back with a new address (n5 killed, back as n7): the old name stays down and a 2|2 still heals', async () => {
  await requireIptables()
  // ekka's users saw heals stall behind a member that moved: the old name is down for everyone, for good.
  await c().procs.get(N5)!.stop('SIGKILL', 5000)
  await c().spawn(N7)
  await c().call(N7, 'test.join', [N2], 20_000)
  const now = [N2, N3, N4, N7]
  await wait.eventually(async () => {
    const why = await c().oneCluster(now, [N5])
    if (why !== undefined) throw new Error(why)
  }, { timeout: 20_000, interval: 200, message: 'n7 in the cluster, n5 down' })
  await scenario({ groups: [[N2, N7], [N3, N4]], victims: [N3, N4], names: now, down: [N5] })
})

test.run()
