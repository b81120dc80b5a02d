// Rule 3 and rule 4 at the table: a new locker incarnation grants no
// leader / quorum lock until every member confirmed it holds nothing from
// the previous one (fast when all are reachable), or `grace` ms passed; a
// quorum replica refuses an asker that computed another replica set; a
// non-leader refuses leader locks; malformed ops are dropped.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { KILL, type Pid } from '@tekka/actors'
import { buildRing, findNodes, lockerInfo } from '../src/index.js'
import { eventually } from '@tekka/testing/wait'
import { owner, startCluster, stopAll, stopNode } from './helpers/cluster.js'

test.after.each(async () => { await stopAll() })

test('a restarted locker is ready as soon as every member confirms (long before grace)', async () => {
  const [a, b] = await startCluster({ lock: { grace: 60_000 } })
  const old = lockerInfo(a.node)!.pid
  const t0 = Date.now()
  a.node.runtime.exit(old, KILL)
  await eventually(() => { const i = lockerInfo(a.node); return i !== undefined && !i.pid.equals(old) && i.ready.quorum && i.ready.leader }, { timeout: 5000, message: 'ready again' })
  assert.ok(Date.now() - t0 < 5000)
  assert.is((await owner(b).acquire('after', 'leader')).ok, true)
  assert.ok(a.events.filter((e) => e.type === 'lock.ready').length >= 2)
})

test('a restarted locker that cannot reach a member waits out the grace period (not_ready)', async () => {
  // Long enough that the first ask lands inside it even on a loaded machine.
  const GRACE = 3000
  const nodes = await startCluster({ lock: { grace: GRACE } })
  const [a, b, c] = nodes
  await stopNode(c)
  await eventually(() => !a.node.membership.nodelist('up').includes(c.name), { timeout: 5000 })
  const set = findNodes('rd', buildRing(nodes.map((n) => n.name)))
  const resource = set.includes(a.name) && set.includes(b.name) ? 'rd' : (() => {
    for (let i = 0; ; i++) { const s = findNodes(`rd${i}`, buildRing(nodes.map((n) => n.name))); if (s.includes(a.name) && s.includes(b.name)) return `rd${i}` }
  })()
  const old = lockerInfo(a.node)!.pid
  a.node.runtime.exit(old, KILL)
  const restarted = Date.now()
  await eventually(() => { const i = lockerInfo(a.node); return i !== undefined && !i.pid.equals(old) }, { timeout: 5000 })
  const ob = owner(b)
  const refused: string[] = []
  await eventually(async () => {
    const r = await ob.acquire(resource, 'quorum')
    if (!r.ok) refused.push(`${r.reason} at ${Date.now() - restarted} ms`)
    return r.ok
  }, { timeout: 10_000, interval: 100, message: 'ready after grace' })
  assert.ok(refused.length > 0, 'refused at least once inside the grace period')
  assert.equal(refused.filter((r) => !r.startsWith('not_ready ')), [], 'every refusal is not_ready')
  assert.ok(Date.now() - restarted >= GRACE * 0.9, `ready ${Date.now() - restarted} ms after the restart`)
})

test('the table side checks the asker\'s view (quorum) and its own leadership (leader); malformed ops are dropped', async () => {
  const [a, b] = await startCluster()
  const locker = { name: 'tekka_locker', node: b.name }
  const replies = await a.node.run(async (ctx) => {
    const me = ctx.self
    ctx.send(locker, {
      t: 'tekka_lock',
      from: me,
      ops: [
        [0, 11, 'v1', me, 'quorum', ['zz9@127.0.0.1', 'yy8@127.0.0.1'], null, 1],
        [0, 12, 'v2', me, 'leader', null, null, 1],
        ['garbage'],
        [0, 13, '', me, 'quorum', null, null, 1],
        [3, 14, false]
      ]
    })
    const m = await ctx.receive<{ t: string, from: Pid, rs: unknown[] }>((x) => (x as { t?: string }).t === 'tekka_lock_reply', { timeout: 5000 })
    if (typeof m !== 'object') throw new Error('no reply')
    return m
  })
  assert.equal(replies.rs, [[0, 11, false, 'view', null], [0, 12, false, 'not_leader', null], [3, 14, true]])
  assert.ok(lockerInfo(b.node) !== undefined, 'the locker is still running')
})

test.run()
