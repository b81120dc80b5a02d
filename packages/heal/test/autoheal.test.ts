// Autoheal on the simulated cluster: who is rebooted, how often, in what
// order, and what happens when a heal is interrupted or asked for twice.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SimCluster, type SimConfig, type SimNode } from './sim/cluster.js'
import type { HealEvent, HealEventType, HealPlan } from '../src/index.js'

const base: SimConfig = { seed: 11, nodes: 5, tickTime: 2000, delay: 2000, autoclean: 0, quantum: 20, verbose: process.env.TEKKA_SIM_VERBOSE === '1' }

async function cluster (cfg: Partial<SimConfig> = {}): Promise<SimCluster> {
  const sim = new SimCluster({ ...base, ...cfg })
  await sim.start()
  return sim
}

function apart (groups: SimNode[][]): Array<[string, string]> {
  const out: Array<[string, string]> = []
  groups.forEach((g, i) => groups.slice(i + 1).forEach((h) => {
    for (const a of g) for (const b of h) out.push([a.name, b.name], [b.name, a.name])
  }))
  return out
}

const rebooted = (sim: SimCluster): string[] => sim.events.flatMap((r) => r.e.type === 'heal.reboot' && r.e.phase === 'shutdown' ? [r.node] : []).sort()
const starts = (n: SimNode): number => n.dist.applications.list().find((a) => a.name === 'sim-app')!.starts
const of = <T extends HealEventType>(sim: SimCluster, type: T): Array<Extract<HealEvent, { type: T }>> =>
  sim.events.flatMap((r) => r.e.type === type ? [r.e as Extract<HealEvent, { type: T }>] : [])

async function splitAndHeal (sim: SimCluster, groups: SimNode[][], ms = 6000): Promise<number> {
  const pairs = apart(groups)
  sim.cut(pairs)
  await sim.run(ms)
  sim.restore(pairs)
  const end = sim.now
  await sim.runUntil(() => sim.converged(), 30_000, 'one cluster')
  return sim.now - end
}

test('3|2: the minority is rebooted once, the majority never; decision, heal and reboots in order', async () => {
  const sim = await cluster()
  try {
    const [n1, n2, n3, n4, n5] = sim.nodes as [SimNode, SimNode, SimNode, SimNode, SimNode]
    const took = await splitAndHeal(sim, [[n1, n3, n5], [n2, n4]])
    await sim.run(10_000)
    assert.equal(rebooted(sim), [n2.name, n4.name])
    for (const n of [n2, n4]) assert.is(starts(n), 2, `${n.name} started twice in all`)
    for (const n of [n1, n3, n5]) assert.is(starts(n), 1, `${n.name} never restarted`)
    const plans = of(sim, 'heal.decision').filter((d) => d.decision === 'heal').map((d) => d.plan!)
    assert.is(plans.length, 1, 'one heal decided')
    assert.equal(plans[0].survivors, [n1.name, n3.name, n5.name])
    assert.is(plans[0].coordinator, n1.name)
    assert.is(plans[0].leader, n1.name)
    const kinds = sim.events.filter((r) => r.e.type === 'heal.heal' || r.e.type === 'heal.reboot' || (r.e.type === 'heal.decision' && r.e.decision === 'heal'))
      .map((r) => `${r.e.type}:${'phase' in r.e ? r.e.phase : 'heal'}@${r.e.node === n1.name ? 'n1' : 'minority'}`)
    assert.equal(kinds, ['heal.decision:heal@n1', 'heal.heal:started@n1', 'heal.reboot:shutdown@minority', 'heal.reboot:shutdown@minority', 'heal.reboot:rebooted@minority', 'heal.reboot:rebooted@minority', 'heal.heal:done@n1'])
    // The decision carries its inputs: a view from every member, the partitions as each side saw them.
    const decision = of(sim, 'heal.decision').find((d) => d.decision === 'heal')!
    assert.equal(decision.views.map((v) => v.node).sort(), sim.nodes.map((n) => n.name).sort())
    assert.equal(decision.views.find((v) => v.node === n2.name)!.partitioned, [n1.name, n3.name, n5.name])
    assert.equal(decision.level, 'info')
    // Each minority node reported its partitions; once its link to n1 was back, to n1 (the leader), with all three.
    for (const n of [n2, n4]) {
      const last = sim.events.filter((r) => r.node === n.name && r.e.type === 'heal.report').pop()?.e
      assert.ok(last?.type === 'heal.report', `${n.name} reported`)
      assert.equal({ to: last.to, partitions: last.partitions }, { to: n1.name, partitions: [n1.name, n3.name, n5.name] }, `${n.name}'s last report`)
    }
    assert.ok(took <= 2000 + 8000, `healed ${took} ms after the partition ended`)
  } finally {
    sim.teardown()
  }
})

test('2|2 and 1|1: the side holding the oldest member survives', async () => {
  let sim = await cluster({ nodes: 4 })
  try {
    const [n1, n2, n3, n4] = sim.nodes as [SimNode, SimNode, SimNode, SimNode]
    await splitAndHeal(sim, [[n2, n3], [n1, n4]])
    assert.equal(rebooted(sim), [n2.name, n3.name])
  } finally {
    sim.teardown()
  }
  sim = await cluster({ nodes: 2 })
  try {
    const [n1, n2] = sim.nodes as [SimNode, SimNode]
    await splitAndHeal(sim, [[n2], [n1]])
    assert.equal(rebooted(sim), [n2.name])
  } finally {
    sim.teardown()
  }
})

test('2|2|1 and a bridge node: every node outside the surviving group is rebooted in one heal', async () => {
  let sim = await cluster()
  try {
    const [n1, n2, n3, n4, n5] = sim.nodes as [SimNode, SimNode, SimNode, SimNode, SimNode]
    await splitAndHeal(sim, [[n1], [n2, n4], [n3, n5]])
    assert.equal(rebooted(sim), [n1.name, n3.name, n5.name])
    assert.is(of(sim, 'heal.heal').filter((h) => h.phase === 'started').length, 1, 'one heal')
  } finally {
    sim.teardown()
  }
  sim = await cluster()
  try {
    const [n1, n2, n3, n4, n5] = sim.nodes as [SimNode, SimNode, SimNode, SimNode, SimNode]
    // n1,n2 | n4,n5 apart; n3 keeps its links to both sides: it is tainted.
    const pairs = apart([[n1, n2], [n4, n5]])
    sim.cut(pairs)
    await sim.run(6000)
    sim.restore(pairs)
    await sim.runUntil(() => sim.converged(), 30_000, 'one cluster')
    const plan = of(sim, 'heal.decision').find((d) => d.decision === 'heal')!.plan!
    assert.equal(plan.survivors, [n1.name, n2.name])
    assert.equal(plan.tainted, [n3.name])
    assert.equal(rebooted(sim), [n3.name, n4.name, n5.name])
  } finally {
    sim.teardown()
  }
})

test('a partition that flaps faster than the delay is healed once, after it settles', async () => {
  const sim = await cluster({ delay: 3000 })
  try {
    const [n1, n2, n3, n4, n5] = sim.nodes as [SimNode, SimNode, SimNode, SimNode, SimNode]
    const pairs = apart([[n1, n2, n3], [n4, n5]])
    let last = 0
    for (let i = 0; i < 4; i++) {
      sim.cut(pairs)
      await sim.run(5000)
      sim.restore(pairs)
      last = sim.now
      if (i < 3) await sim.run(1500)
    }
    await sim.runUntil(() => sim.converged(), 30_000, 'one cluster')
    await sim.run(10_000)
    const heals = sim.events.filter((r) => r.e.type === 'heal.heal' && r.e.phase === 'started')
    assert.is(heals.length, 1, 'one heal')
    assert.ok(heals[0].t > last, 'after the last flap')
    assert.equal(rebooted(sim), [n4.name, n5.name])
  } finally {
    sim.teardown()
  }
})

test('a heal is not run twice at once, and a node is not stopped or started twice for one heal', async () => {
  const sim = await cluster({ nodes: 3 })
  try {
    const [n1, n2, n3] = sim.nodes as [SimNode, SimNode, SimNode]
    // The victim's side, asked twice for the same heal.
    const id = 'test/1/1'
    const [a, b] = await sim.drive(Promise.all([n3.heal.autoheal.shutdown(id, n1.name), n3.heal.autoheal.shutdown(id, n1.name)]), 5000, 'shutdowns')
    assert.equal([a, b], ['stopped', 'stopped'])
    assert.is(n3.dist.applications.list()[0].stops, 1, 'stopped once')
    assert.is(n3.dist.membership.localMember().status, 'healing')
    const [c, d] = await sim.drive(Promise.all([n3.heal.autoheal.reboot(id, n1.name), n3.heal.autoheal.reboot(id, n1.name)]), 5000, 'reboots')
    assert.equal([c, d].sort(), ['already', 'rebooted'])
    assert.is(await sim.drive(n3.heal.autoheal.shutdown(id, n1.name), 5000, 'late shutdown'), 'already')
    assert.is(n3.dist.applications.list()[0].starts, 2, 'started again once')
    assert.is(n3.dist.membership.localMember().status, 'up')
    // The coordinator's side: a second plan while one runs is refused.
    const plan = (pid: string): HealPlan => ({ id: pid, leader: n1.name, coordinator: n1.name, survivors: [n1.name], victims: [n2.name], tainted: [], splitView: { participants: [], down: [], groups: [] } })
    const results = await sim.drive(Promise.all([n1.heal.autoheal.run(plan('test/2/1')), n1.heal.autoheal.run(plan('test/2/2'))]), 30_000, 'runs')
    assert.equal(results.map((r) => r.status).sort(), ['busy', 'done'])
    assert.is(n2.dist.applications.list()[0].starts, 2, 'n2 rebooted once')
  } finally {
    sim.teardown()
  }
})

test('a heal whose coordinator dies half-way is taken up again: the minority ends up running, once per heal', async () => {
  const sim = await cluster()
  try {
    const [n1, n2, n3, n4, n5] = sim.nodes as [SimNode, SimNode, SimNode, SimNode, SimNode]
    // n1 (leader and coordinator) dies as soon as the minority has stopped.
    let struck = false
    sim.onEvent = (r) => {
      if (!struck && r.e.type === 'heal.reboot' && r.e.phase === 'shutdown') {
        struck = true
        sim.crash(n1)
      }
    }
    const pairs = apart([[n1, n2, n3], [n4, n5]])
    sim.cut(pairs)
    await sim.run(6000)
    sim.restore(pairs)
    await sim.runUntil(() => struck ? undefined : 'no heal yet', 20_000, 'heal starts')
    sim.onEvent = undefined
    await sim.run(3000)
    await sim.restart(n1)
    await sim.runUntil(() => sim.converged(), 60_000, 'one cluster')
    for (const n of [n4, n5]) assert.ok(n.dist.applications.list()[0].running, `${n.name} runs its application`)
    const heals = of(sim, 'heal.heal').filter((h) => h.phase === 'started')
    assert.ok(heals.length >= 2, 'the heal was tried again')
    const byHeal = new Map<string, number>()
    for (const r of sim.events) if (r.e.type === 'heal.reboot' && r.e.phase === 'shutdown') byHeal.set(`${r.node} ${r.e.id}`, (byHeal.get(`${r.node} ${r.e.id}`) ?? 0) + 1)
    assert.ok([...byHeal.values()].every((c) => c === 1), 'never stopped twice for one heal')
    assert.not.ok(rebooted(sim).includes(n2.name) || rebooted(sim).includes(n3.name), 'the majority was not rebooted')
  } finally {
    sim.teardown()
  }
})

test('links that never settle (a node restarting in a loop) delay a heal, but not for ever', async () => {
  const sim = await cluster()
  try {
    const [n1, n2, n3, n4, n5] = sim.nodes as [SimNode, SimNode, SimNode, SimNode, SimNode]
    const pairs = apart([[n1, n2, n3], [n4, n5]])
    sim.cut(pairs)
    await sim.run(6000)
    sim.restore(pairs)
    const ended = sim.now
    // n3 crashes and comes back every 1.5 s: some link changes all the time.
    let healed: number | undefined
    for (let i = 0; i < 20 && healed === undefined; i++) {
      sim.crash(n3)
      await sim.run(700)
      await sim.restart(n3)
      await sim.run(800)
      if ([n4, n5].every((n) => starts(n) === 2)) healed = sim.now
    }
    assert.ok(healed !== undefined, 'the minority was rebooted')
    assert.ok(healed - ended <= 8 * 2000, `healed ${healed - ended} ms after the partition ended`)
    assert.ok(of(sim, 'heal.decision').some((d) => d.decision === 'wait' && /quiet/.test(d.reason ?? '')), 'it waited for quiet first')
    assert.not.ok(rebooted(sim).includes(n1.name) || rebooted(sim).includes(n2.name), 'the majority was not rebooted')
  } finally {
    sim.teardown()
  }
})

test.run()
