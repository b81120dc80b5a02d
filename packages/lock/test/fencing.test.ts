// Fencing tokens: strictly increasing per resource with every successful
// acquire, across owners and nodes, across a leader change (the leader
// restarts: the next oldest member takes over with an empty table), and
// across the restart of a quorum replica (its table is lost).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { buildRing, findNodes, lockerInfo, type LockType } from '../src/index.js'
import { eventually } from '@tekka/testing/wait'
import { owner, startCluster, startTestNode, stopAll, stopNode, type TestNode } from './helpers/cluster.js'
import { freePortRange } from '@tekka/testing/ports'

test.after.each(async () => { await stopAll() })

async function take (n: TestNode, resource: string, type: LockType): Promise<number> {
  const o = owner(n)
  try {
    let token: number | undefined
    await eventually(async () => {
      const r = await o.acquire(resource, type)
      if (r.ok) token = r.token
      return r.ok
    }, { timeout: 10_000, interval: 50, message: `${type} lock on ${resource} from ${n.name}` })
    await o.release(resource, type)
    return token!
  } finally {
    await o.exit()
  }
}

test('quorum and leader: tokens increase with every acquire, from any node', async () => {
  const nodes = await startCluster()
  for (const type of ['quorum', 'leader', 'all'] as LockType[]) {
    let last = 0
    for (let i = 0; i < 30; i++) {
      const t = await take(nodes[i % 3], `fence-${type}`, type)
      assert.ok(t > last, `${type} #${i}: ${t} > ${last}`)
      last = t
    }
  }
})

test('a quorum acquire tells its replicas the token: every replica\'s high-water mark reaches it', async () => {
  const nodes = await startCluster({ names: ['a1', 'b2', 'c3', 'd4', 'e5'] })
  const o = owner(nodes[0])
  const r = await o.acquire('hw', 'quorum')
  assert.is(r.ok, true)
  await eventually(() => r.nodes.every((name) => lockerInfo(nodes.find((n) => n.name === name)!.node)!.highWater >= r.token!), { timeout: 3000, message: 'replicas settled' })
  await o.exit()
})

test('leader change: the leader restarts (a new, younger incarnation); the next leader issues larger tokens', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tekka-lock-fence-'))
  try {
    const base = await freePortRange(10)
    const a = await startTestNode('a1', base, { node: { dataDir } })
    const b = await startTestNode('b2', base, { node: { dataDir } })
    const c = await startTestNode('c3', base, { node: { dataDir } })
    await b.node.membership.join(a.name)
    await c.node.membership.join(a.name)
    await eventually(() => [a, b, c].every((n) => n.node.membership.nodelist('up').length === 3), { timeout: 10_000 })
    let last = 0
    for (let i = 0; i < 5; i++) last = Math.max(last, await take(c, 'led', 'leader'))
    assert.is(c.node.membership.leader(), a.name)
    await stopNode(a)
    // Same name, same data dir: it rejoins with a new guid, so it is the youngest now.
    const a2 = await startTestNode('a1', base, { node: { dataDir } })
    await eventually(() => [a2, b, c].every((n) => n.node.membership.leader() === b.name && n.node.membership.nodelist('up').length === 3), { timeout: 15_000, message: 'b2 leads everywhere' })
    const next = await take(c, 'led', 'leader')
    assert.ok(next > last, `new leader's token ${next} > ${last}`)
    const t2 = await take(a2, 'led', 'leader')
    assert.ok(t2 > next)
  } finally {
    await stopAll()
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test('a quorum replica restarts with an empty table: tokens still increase', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tekka-lock-fence-'))
  try {
    const base = await freePortRange(10)
    const names = ['a1', 'b2', 'c3']
    const nodes: TestNode[] = []
    for (const n of names) nodes.push(await startTestNode(n, base, { node: { dataDir } }))
    for (const n of nodes.slice(1)) await n.node.membership.join(nodes[0].name)
    await eventually(() => nodes.every((n) => n.node.membership.nodelist('up').length === 3), { timeout: 10_000 })
    const set = findNodes('rq', buildRing(nodes.map((n) => n.name)))
    const asker = nodes.find((n) => !set.includes(n.name)) ?? nodes[0]
    let last = 0
    for (let i = 0; i < 5; i++) last = Math.max(last, await take(asker, 'rq', 'quorum'))
    // Restart both replicas: every table that issued a token is gone.
    for (const name of set) {
      const i = nodes.findIndex((n) => n.name === name)
      await stopNode(nodes[i])
      nodes[i] = await startTestNode(name.split('@')[0], base, { node: { dataDir } })
    }
    await eventually(() => nodes.every((n) => n.node.membership.nodelist('up').length === 3), { timeout: 15_000 })
    const next = await take(asker, 'rq', 'quorum')
    assert.ok(next > last, `after the restarts ${next} > ${last}`)
  } finally {
    await stopAll()
    rmSync(dataDir, { recursive: true, force: true })
  }
})

test.run()
