// The etcd strategy against a real etcd: what it writes where (keys, values,
// the lease and its TTL), that discover lists registered nodes and only those
// of its cluster, that unregister and stop take the node out at once, that
// its lock is etcd's lock protocol (an `/v3/lock/lock` holder excludes it and
// it excludes one) that waits its turn a bounded time and leaves no waiter
// behind, and that a lost lease is replaced and the key put again.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { memoryLogger } from '@tekka/actors'
import { etcdStrategy, EtcdStoppedError, type Strategy } from '../src/index.js'
import { EtcdServer } from '@tekka/testing/etcd-server'
import { components } from './support/components.js'
import * as wait from '@tekka/testing/wait'

let etcd: EtcdServer
const made: Strategy[] = []
const b64 = (s: string): string => Buffer.from(s).toString('base64')

const make = (node: string, opts: { cluster?: string, nodeTtl?: number, lockWait?: number, logger?: ReturnType<typeof memoryLogger> } = {}): Strategy => {
  const s = etcdStrategy({ server: etcd.url, prefix: 'unit', nodeTtl: opts.nodeTtl ?? 10_000, lockWait: opts.lockWait ?? 300 })(components(node, opts))
  made.push(s)
  void s.start?.() // etcd's start() is synchronous: it opens nothing before the first request
  return s
}

test.before(async () => { etcd = await EtcdServer.start() })
test.after(async () => {
  for (const s of made.splice(0)) await s.stop?.()
  await etcd?.destroy()
})

test('register puts <prefix>/<cluster>/nodes/<node> = <node> under a lease of node_ttl; discover lists it', async () => {
  const a = make('a@127.0.0.1', { nodeTtl: 7000 })
  const b = make('b@127.0.0.1', { nodeTtl: 7000 })
  assert.equal(await a.discover(), [])
  await a.register?.()
  await b.register?.()
  const keys = await etcd.keys('unit/tekka/nodes/')
  assert.equal(keys.map((k) => [k.key, k.value]), [['unit/tekka/nodes/a@127.0.0.1', 'a@127.0.0.1'], ['unit/tekka/nodes/b@127.0.0.1', 'b@127.0.0.1']])
  const ttl = await etcd.post('/v3/lease/timetolive', { ID: keys[0].lease, keys: true })
  assert.is(ttl.grantedTTL, '7', 'node_ttl in whole seconds')
  assert.equal((ttl.keys as string[]).map((k) => Buffer.from(k, 'base64').toString()), ['unit/tekka/nodes/a@127.0.0.1'])
  assert.equal(await b.discover(), ['a@127.0.0.1', 'b@127.0.0.1'])
  // Another cluster under the same prefix neither sees them nor is seen.
  const other = make('x@127.0.0.1', { cluster: 'other' })
  await other.register?.()
  assert.equal(await other.discover(), ['x@127.0.0.1'])
  assert.equal(await a.discover(), ['a@127.0.0.1', 'b@127.0.0.1'])
  await other.unregister?.()
  // unregister: key gone and lease revoked, at once.
  await a.unregister?.()
  assert.equal(await b.discover(), ['b@127.0.0.1'])
  const gone = await etcd.post('/v3/lease/timetolive', { ID: keys[0].lease })
  assert.is(gone.TTL, '-1', 'the lease is revoked')
  // stop revokes the lease too: a stopped node is gone now, not a TTL later.
  await b.stop?.()
  assert.equal(await etcd.keys('unit/tekka/nodes/'), [])
  await a.stop?.()
})

test('a stopped strategy refuses calls with EtcdStoppedError; start again works', async () => {
  const s = make('c@127.0.0.1')
  await s.stop?.()
  for (const call of ['discover', 'register', 'unregister', 'lock', 'unlock'] as const) {
    const err = await wait.rejects((s[call] as () => Promise<unknown>).call(s), EtcdStoppedError, `etcd strategy is stopped: ${call}()`)
    assert.is(err.code, 'ERR_ETCD_STOPPED')
  }
  void s.start?.() // etcd's start() is synchronous: it opens nothing before the first request
  await s.register?.()
  assert.equal(await s.discover(), ['c@127.0.0.1'])
  await s.stop?.()
})

test('the node stopping (its signal) stops the strategy and ends its calls', async () => {
  const ac = new AbortController()
  const s = etcdStrategy({ server: etcd.url, prefix: 'unit' })(components('d@127.0.0.1', { signal: ac.signal }))
  made.push(s)
  void s.start?.() // etcd's start() is synchronous: it opens nothing before the first request
  await s.register?.()
  ac.abort(new Error('node stops'))
  await wait.eventually(async () => (await etcd.keys('unit/tekka/nodes/d@')).length === 0, { timeout: 5000, message: 'key gone once the node stops' })
  await wait.rejects(s.discover(), EtcdStoppedError)
})

test('lock is etcd\'s lock protocol: a /v3/lock/lock holder excludes it, and it excludes /v3/lock/lock until unlock', async () => {
  const a = make('la@127.0.0.1')
  const b = make('lb@127.0.0.1')
  // An operator's lock (etcdctl lock unit/tekka/lock) on its own lease.
  const lease = (await etcd.post('/v3/lease/grant', { TTL: '30' })).ID as string
  const held = await etcd.post('/v3/lock/lock', { name: b64('unit/tekka/lock'), lease })
  assert.is(await a.lock?.(), false, 'held by the operator')
  assert.is(await b.lock?.(), false)
  // No waiter key left behind by the refused attempts.
  assert.is((await etcd.keys('unit/tekka/lock/')).length, 1)
  await etcd.post('/v3/lock/unlock', { key: held.key })
  assert.is(await a.lock?.(), true)
  assert.is(await a.lock?.(), true, 'taking it again while holding it: still held')
  assert.is(await b.lock?.(), false, 'held by a')
  const mine = await etcd.keys('unit/tekka/lock/')
  assert.is(mine.length, 1)
  assert.is(mine[0].value, 'la@127.0.0.1', 'the holder is named in the key value')
  // The lock API waits while a holds it, and gets it once a unlocks.
  let got = false
  const waiter = etcd.post('/v3/lock/lock', { name: b64('unit/tekka/lock'), lease }).then((r) => { got = true; return r })
  await wait.sleep(300)
  assert.not.ok(got, 'the lock API waits for a')
  await b.unlock?.() // b holds nothing: a keeps it
  await wait.sleep(300)
  assert.not.ok(got, 'unlock by b released nothing')
  await a.unlock?.()
  const r = await wait.withTimeout(waiter, 5000, 'the lock API gets the lock once a unlocks')
  await etcd.post('/v3/lock/unlock', { key: r.key })
  await etcd.post('/v3/lease/revoke', { ID: lease })
  assert.is(await b.lock?.(), true)
  await b.unlock?.()
  assert.equal(await etcd.keys('unit/tekka/lock/'), [])
})

test('lock waits its turn: it gets the lock when the holder lets go within lockWait, in the order asked', async () => {
  const a = make('wa@127.0.0.1')
  const b = make('wb@127.0.0.1', { lockWait: 10_000 })
  const c = make('wc@127.0.0.1', { lockWait: 10_000 })
  assert.is(await a.lock?.(), true)
  const order: string[] = []
  const pb = b.lock?.().then((v) => { order.push('b'); return v })
  await wait.eventually(async () => (await etcd.keys('unit/tekka/lock/')).length === 2, { timeout: 5000, message: 'b queued' })
  const pc = c.lock?.().then((v) => { order.push('c'); return v })
  await wait.eventually(async () => (await etcd.keys('unit/tekka/lock/')).length === 3, { timeout: 5000, message: 'c queued' })
  assert.equal(order, [], 'both wait while a holds it')
  await a.unlock?.()
  assert.is(await pb, true, 'b next')
  assert.equal(order, ['b'], 'c still waits: b holds it')
  await b.unlock?.()
  assert.is(await pc, true, 'then c')
  await c.unlock?.()
  assert.equal(await etcd.keys('unit/tekka/lock/'), [])
})

test('lock gives up after lockWait with false, or at once with lockWait 0; no waiter key is left behind', async () => {
  const a = make('xa@127.0.0.1')
  const b = make('xb@127.0.0.1', { lockWait: 300 })
  const now = make('xc@127.0.0.1', { lockWait: 0 })
  assert.is(await a.lock?.(), true)
  assert.is(await b.lock?.(), false)
  assert.is(await now.lock?.(), false)
  assert.equal((await etcd.keys('unit/tekka/lock/')).map((k) => k.value), ['xa@127.0.0.1'], 'only the holder')
  await a.unlock?.()
})

test('the caller giving up while lock waits: rejected with its reason, and out of the queue', async () => {
  const a = make('ya@127.0.0.1')
  const b = make('yb@127.0.0.1', { lockWait: 60_000 })
  assert.is(await a.lock?.(), true)
  const ac = new AbortController()
  const why = new Error('autocluster gave up')
  const p = b.lock?.({ signal: ac.signal })
  await wait.eventually(async () => (await etcd.keys('unit/tekka/lock/')).length === 2, { timeout: 5000, message: 'b queued' })
  ac.abort(why)
  assert.is(await wait.rejects(p ?? Promise.resolve()), why)
  assert.equal((await etcd.keys('unit/tekka/lock/')).map((k) => k.value), ['ya@127.0.0.1'])
  await a.unlock?.()
  assert.is(await b.lock?.(), true, 'and it can lock later')
  await b.unlock?.()
})

test('etcd going away while lock waits: the call fails, and the waiter key left behind is deleted once etcd is back', async () => {
  const logger = memoryLogger('tekka:discovery:etcd')
  const a = make('za@127.0.0.1')
  const b = make('zb@127.0.0.1', { lockWait: 60_000, nodeTtl: 3000, logger })
  assert.is(await a.lock?.(), true)
  // It fails while etcd stops: caught at once, looked at below.
  const p = (b.lock?.() ?? Promise.resolve()).then((v) => v, (e: unknown) => e)
  await wait.eventually(async () => (await etcd.keys('unit/tekka/lock/')).length === 2, { timeout: 5000, message: 'b queued' })
  await etcd.stop()
  const err = await p
  assert.instance(err, Error, 'lock failed')
  assert.match((err as Error).message, /^etcd (http:\/\/127\.0\.0\.1:\d+ )?(watch|kv\/range)/)
  assert.ok(logger.records.some((r) => r.level === 'warn' && r.msg.startsWith('etcd: could not take this node out of the lock queue')), 'said')
  await etcd.restart()
  // b's lease lives on (kept alive), so only b can delete its key: it does, without another lock() call.
  await wait.eventually(async () => JSON.stringify((await etcd.keys('unit/tekka/lock/')).map((k) => k.value)) === '["za@127.0.0.1"]', { timeout: 10_000, message: 'b out of the queue' })
  await a.unlock?.()
  assert.is(await b.lock?.(), true)
  await b.unlock?.()
})

test('a lost lease (revoked behind its back, as etcd does when it expires) is replaced and the key put again', async () => {
  const logger = memoryLogger('tekka:discovery:etcd')
  const s = make('e@127.0.0.1', { nodeTtl: 3000, logger })
  await s.register?.()
  const [before] = await etcd.keys('unit/tekka/nodes/e@')
  assert.ok(before !== undefined)
  await etcd.post('/v3/lease/revoke', { ID: before.lease })
  assert.equal(await etcd.keys('unit/tekka/nodes/e@'), [], 'the key went with the lease')
  const after = await wait.eventually(async () => {
    const [k] = await etcd.keys('unit/tekka/nodes/e@')
    return k ?? false
  }, { timeout: 8000, message: 'key put again' })
  assert.is(after.value, 'e@127.0.0.1')
  assert.is.not(after.lease, before.lease, 'under a new lease')
  assert.ok(logger.records.some((r) => r.level === 'warn' && r.msg.includes(`lease ${BigInt(before.lease).toString(16)} is gone from etcd`)), 'the loss is logged')
  // After unregister, a lost lease is not replaced: nothing comes back.
  await s.unregister?.()
  await wait.sleep(1500)
  assert.equal(await etcd.keys('unit/tekka/nodes/e@'), [])
})

test('a lease gone before a keepalive noticed: lock takes a new one at once, and the node key follows', async () => {
  const s = make('g@127.0.0.1', { nodeTtl: 3000 })
  await s.register?.()
  const [before] = await etcd.keys('unit/tekka/nodes/g@')
  await etcd.post('/v3/lease/revoke', { ID: before.lease })
  assert.is(await s.lock?.(), true, 'lock under a new lease')
  const [held] = await etcd.keys('unit/tekka/lock/')
  assert.is.not(held?.lease, before.lease)
  await s.unlock?.()
  const after = await wait.eventually(async () => (await etcd.keys('unit/tekka/nodes/g@'))[0] ?? false, { timeout: 8000, message: 'node key put again' })
  assert.is(after.lease, held.lease, 'under the lease the lock took')
  await s.unregister?.()
})

test.run()
