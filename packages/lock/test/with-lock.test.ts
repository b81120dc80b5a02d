// withLock: runs a function under a lock, retries with backoff while the
// lock is held elsewhere, gives up at its timeout or signal, and always
// releases.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { LockAbortedError, LockTimeoutError, lockerInfo, withLock } from '../src/index.js'
import { rejects, sleep } from '@tekka/testing/wait'
import { inProcess, owner, startCluster, stopAll, type TestNode } from './helpers/cluster.js'

let nodes: TestNode[]

test.before(async () => { nodes = await startCluster() })
test.after(async () => { await stopAll() })

const anywhere = (resource: string): boolean => nodes.some((n) => lockerInfo(n.node)!.locks.some((l) => l.resource === resource))

test('returns what the function returns, with the token, and releases', async () => {
  const got = await inProcess(nodes[1], async (ctx) => await withLock(ctx, 'w1', (l) => ({ token: l.token, nodes: l.nodes, held: anywhere('w1') }), { type: 'quorum' }))
  assert.type(got.token, 'number')
  assert.is(got.held, true)
  assert.is(got.nodes.length, 2)
  assert.not.ok(anywhere('w1'), 'released after')
})

test('releases when the function throws, and rethrows', async () => {
  await rejects(inProcess(nodes[0], async (ctx) => await withLock(ctx, 'w2', async () => { await sleep(10); throw new Error('inside') }, { type: 'leader' })), Error, /^inside$/)
  assert.not.ok(anywhere('w2'))
})

test('waits (with backoff) while another owner holds it', async () => {
  const holder = owner(nodes[2])
  assert.is((await holder.acquire('w3', 'leader')).ok, true)
  const t0 = Date.now()
  setTimeout(() => { void holder.release('w3', 'leader') }, 300)
  const token = await inProcess(nodes[1], async (ctx) => await withLock(ctx, 'w3', (l) => l.token, { type: 'leader', timeout: 10_000 }))
  assert.type(token, 'number')
  assert.ok(Date.now() - t0 >= 250, 'got it after the holder let go')
  await holder.exit()
})

test('gives up at its timeout with LockTimeoutError (the last answer attached)', async () => {
  const holder = owner(nodes[0])
  assert.is((await holder.acquire('w4', 'quorum')).ok, true)
  const t0 = Date.now()
  const err = await rejects(inProcess(nodes[1], async (ctx) => await withLock(ctx, 'w4', () => 'never', { type: 'quorum', timeout: 400 })), LockTimeoutError)
  assert.is(err.code, 'ERR_LOCK_TIMEOUT')
  assert.is(err.last?.reason, 'held')
  const took = Date.now() - t0
  assert.ok(took >= 350 && took < 10_000, `gave up after ${took} ms`)
  await holder.exit()
})

test('an abort signal ends the wait with LockAbortedError; an aborted signal does not even try', async () => {
  const holder = owner(nodes[0])
  assert.is((await holder.acquire('w5', 'local')).ok, true)
  const ac = new AbortController()
  setTimeout(() => { ac.abort(new Error('enough')) }, 200)
  const t0 = Date.now()
  const err = await rejects(inProcess(nodes[0], async (ctx) => await withLock(ctx, 'w5', () => 'never', { timeout: 10_000, signal: ac.signal, backoff: { min: 50, max: 100 } })), LockAbortedError)
  assert.is(err.code, 'ERR_LOCK_ABORTED')
  assert.ok(Date.now() - t0 < 10_000, "the abort ended the wait")
  await rejects(inProcess(nodes[0], async (ctx) => await withLock(ctx, 'w6', () => 'never', { signal: ac.signal })), LockAbortedError)
  assert.not.ok(anywhere('w6'))
  await holder.exit()
})

test.run()
