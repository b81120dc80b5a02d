// The management endpoint of an in-process node, over real HTTP: the four
// GETs; /health/ready 503 (with its reason) until the cluster discovery
// expects has formed, then 200, and 503 while the node leaves; /cluster as
// `cluster status` plus readiness and the last heal decision; POST actions
// 401 without the token, leave and join with it (a bad body is 400 naming
// what is wrong); off by default; a taken port refused at start.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer } from 'node:net'
import { silentLogger } from '@tekka/actors'
import type {} from '@tekka/heal'
import { eventually, rejects } from '@tekka/testing/wait'
import { freePort, freePortRange } from '@tekka/testing/ports'
import { ManagementListenError } from '@tekka/management'
import { startTekka, type ManagementInstance } from '../src/index.js'
import { post, request, startManaged, TOKEN, type Managed } from './helpers/managed.js'

const running: Managed[] = []
test.after.each(async () => { for (const n of running.splice(0)) await n.t.stop() })

const start = async (...args: Parameters<typeof startManaged>): Promise<Managed> => {
  const n = await startManaged(...args)
  running.push(n)
  return n
}

test('readiness is 503 with the reason until the discovered cluster has formed, then 200; alive is 200 throughout; /cluster shows both members', async () => {
  const base = await freePortRange(3)
  const seeds = ['m1@127.0.0.1', 'm2@127.0.0.1']
  const a = await start('m1@127.0.0.1', base, seeds)
  assert.is((await request(a.url, '/health/alive')).status, 200)
  // m2 is not there: discovery's rounds do not complete.
  const notYet = await eventually(async () => { const r = await request(a.url, '/health/ready'); return r.json.discovery.round !== undefined && r }, { timeout: 10_000 })
  assert.is(notYet.status, 503, notYet.text)
  assert.is(notYet.json.ready, false)
  assert.match(notYet.json.reason, /discovery round \d+/)
  assert.is(notYet.headers.get('content-type'), 'application/json; charset=utf-8')

  const b = await start('m2@127.0.0.1', base, seeds)
  for (const n of [a, b]) {
    await eventually(async () => (await request(n.url, '/health/ready')).status === 200, { timeout: 15_000, message: `${n.t.node.name} ready` })
    assert.is((await request(n.url, '/health/alive')).json.alive, true)
  }
  const c = await request(a.url, '/cluster')
  assert.is(c.status, 200)
  assert.is(c.json.node.name, 'm1@127.0.0.1')
  assert.equal(c.json.status.members.map((m: { node: string, status: string }) => [m.node, m.status]).sort(), [['m1@127.0.0.1', 'up'], ['m2@127.0.0.1', 'up']])
  assert.ok(seeds.includes(c.json.status.leader), 'the leader is a member')
  assert.equal(c.json.status.partitions, [])
  assert.is(c.json.ready.ready, true)
  assert.equal(c.json.heal, { inProgress: [], lastDecision: null })
  assert.equal(c.json.status, a.t.node.membership.status(), 'the same data as `tekka ctl cluster status`')
})

test('leaving: 503 while the node leaves (the instance says why), and after it left; the peer no longer lists it', async () => {
  const base = await freePortRange(3)
  const seeds = ['l1@127.0.0.1', 'l2@127.0.0.1']
  const a = await start('l1@127.0.0.1', base, seeds)
  const b = await start('l2@127.0.0.1', base, seeds)
  await eventually(async () => (await request(b.url, '/health/ready')).status === 200, { timeout: 15_000 })
  const leaving = b.m.leave()
  const during = b.m.readiness()
  assert.is(during.ready, false)
  assert.match(during.reason!, /leaving/)
  const r = await request(b.url, '/health/ready')
  assert.is(r.status, 503, 'not ready while it leaves')
  await leaving
  const after = await request(b.url, '/health/ready')
  assert.is(after.status, 503, 'not ready once it left: it is out of the cluster discovery wants')
  assert.match(after.json.reason, /left its cluster/)
  await eventually(() => !a.t.node.membership.members().some((m) => m.node === 'l2@127.0.0.1'), { timeout: 5000, message: 'l1 no longer lists l2' })
})

test('POST actions: 401 without a token or with a wrong one; with the token, leave and join work; a bad body is 400 naming what is wrong', async () => {
  const base = await freePortRange(3)
  const a = await start('p1@127.0.0.1', base, ['p1@127.0.0.1'])
  const b = await start('p2@127.0.0.1', base, ['p2@127.0.0.1'])
  for (const token of [null, 'wrong', TOKEN + 'x']) {
    const r = await post(a.url, '/cluster/join', { node: 'p2@127.0.0.1' }, token)
    assert.is(r.status, 401, `token ${String(token)}`)
    assert.is(r.json.error, 'unauthorized')
  }
  assert.is((await request(a.url, '/cluster/leave', { method: 'POST', headers: { authorization: `Basic ${TOKEN}` } })).status, 401, 'only Bearer')
  assert.is(a.t.node.membership.nodelist().length, 1, 'nothing was joined')

  const noBody = await post(a.url, '/cluster/join')
  assert.is(noBody.status, 400)
  assert.match(noBody.json.message, /needs a JSON body \{"node": "name@host"\}/)
  const notJson = await post(a.url, '/cluster/join', '{"node": ')
  assert.is(notJson.status, 400)
  assert.is(notJson.json.error, 'bad_json')
  const badName = await post(a.url, '/cluster/join', { node: 'no-at-sign' })
  assert.is(badName.status, 400)
  assert.match(badName.json.message, /not a node name \(name@host\): "no-at-sign"/)
  const unreachable = await post(a.url, '/cluster/join', { node: 'p9@127.0.0.1' })
  assert.is(unreachable.status, 409, unreachable.text)

  const joined = await post(a.url, '/cluster/join', { node: 'p2@127.0.0.1' })
  assert.is(joined.status, 200, joined.text)
  assert.is(joined.json.result, 'joined')
  await eventually(() => b.t.node.membership.nodelist().length === 2, { timeout: 5000 })
  const left = await post(a.url, '/cluster/leave')
  assert.is(left.status, 200, left.text)
  assert.equal(left.json, { result: 'left', node: 'p1@127.0.0.1' })
  await eventually(() => b.t.node.membership.nodelist().length === 1, { timeout: 5000, message: 'p2 saw p1 leave' })
})

test('a heal in progress here makes readiness 503 until it is over; /cluster shows the last heal decision with its inputs; heals are counted', async () => {
  // The heal service's events, published on the node's stream as it publishes them
  // (a real partition and heal need iptables: packages/heal/test/heal-partition.serial.test.ts).
  const base = await freePortRange(2)
  const a = await start('r1@127.0.0.1', base, ['r1@127.0.0.1'])
  await eventually(async () => (await request(a.url, '/health/ready')).status === 200, { timeout: 10_000 })
  const ev = a.t.node.events
  const plan = { id: 'h1', leader: 'r1@127.0.0.1', coordinator: 'r1@127.0.0.1', survivors: ['r1@127.0.0.1'], victims: ['r9@127.0.0.1'], tainted: [], splitView: { majority: ['r1@127.0.0.1'], minority: ['r9@127.0.0.1'] } as never }
  const views = [{ node: 'r1@127.0.0.1', running: ['r1@127.0.0.1'], stopped: ['r9@127.0.0.1'] }] as never
  ev.publish('heal.decision', { id: 'h1', decision: 'heal', views, plan })
  ev.publish('heal.heal', { id: 'h1', phase: 'started', plan })
  const during = await request(a.url, '/health/ready')
  assert.is(during.status, 503)
  assert.match(during.json.reason, /heal is in progress/)
  const c = await request(a.url, '/cluster')
  assert.is(c.json.heal.lastDecision.decision, 'heal')
  assert.equal(c.json.heal.lastDecision.views, views, 'the inputs it was decided from')
  assert.equal(c.json.heal.lastDecision.plan.victims, ['r9@127.0.0.1'])
  assert.equal(c.json.heal.inProgress, ['h1'])
  ev.publish('heal.heal', { id: 'h1', phase: 'done', plan })
  assert.is((await request(a.url, '/health/ready')).status, 200, 'ready again once it is done')
  assert.match((await request(a.url, '/metrics')).text, /^tekka_heals_total\{result="done"\} 1$/m)
  // A victim's side: from its shutdown to its reboot.
  ev.publish('heal.reboot', { id: 'h2', phase: 'shutdown', coordinator: 'r9@127.0.0.1', partitions: [] })
  assert.is((await request(a.url, '/health/ready')).status, 503)
  ev.publish('heal.reboot', { id: 'h2', phase: 'rebooted', coordinator: 'r9@127.0.0.1' })
  assert.is((await request(a.url, '/health/ready')).status, 200)
})

test('POST with no management.token configured is always 401', async () => {
  const base = await freePortRange(2)
  const a = await start('q1@127.0.0.1', base, ['q1@127.0.0.1'], { 'management.token': undefined })
  const r = await post(a.url, '/cluster/leave', undefined, null)
  assert.is(r.status, 401)
  assert.match(r.json.message, /need management\.token to be configured/)
})

test('off by default: no endpoint, and the node runs; a taken port is refused at start naming the keys', async () => {
  const base = await freePortRange(2)
  const t = await startTekka({ config: { overrides: { 'node.name': 'o1@127.0.0.1', 'node.dist_base_port': base } }, cookie: 'mgmt', logger: silentLogger() })
  try {
    const m = t.plugins.get('@tekka/management') as ManagementInstance
    assert.is(m.url, undefined)
    assert.is(m.address, undefined)
  } finally {
    await t.stop()
  }
  const port = await freePort()
  const taken = createServer()
  await new Promise<void>((resolve) => taken.listen(port, '127.0.0.1', resolve))
  try {
    const err = await rejects(startTekka({ config: { overrides: { 'node.name': 'o2@127.0.0.1', 'node.dist_base_port': base, 'management.port': port } }, cookie: 'mgmt', logger: silentLogger() }), ManagementListenError, `127.0.0.1:${port}`, 'management.port')
    assert.is(err.code, 'ERR_MANAGEMENT_LISTEN')
  } finally {
    taken.close()
  }
})

test.run()
