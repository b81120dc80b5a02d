// Leases on a simulated clock (ekka_locker's check_lease): every
// `leaseCheck` ms, a lock older than `lease` first gets its owner watched
// (event lease_expired), then, still held at the next check, the owner is
// killed (lease_kill). A re-acquire does not renew the lease; a lock
// released in between is not held against its owner; lease 0 turns it off.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SimulatedClock } from '@tekka/actors'
import { lockerInfo } from '../src/index.js'
import { eventually } from '@tekka/testing/wait'
import { owner, startTestNode, stopAll, type TestNode } from './helpers/cluster.js'
import { freePortRange } from '@tekka/testing/ports'

const LEASE = 1000
const CHECK = 2000

let clock: SimulatedClock
let n: TestNode

test.before.each(async () => {
  clock = new SimulatedClock(0)
  n = await startTestNode('l1', await freePortRange(3), { clock, lock: { lease: LEASE } })
})
test.after.each(async () => { await stopAll() })

const held = (resource: string): boolean => lockerInfo(n.node)!.locks.some((l) => l.resource === resource)

test('held past the lease: watched at the first check, killed at the next', async () => {
  const a = owner(n)
  assert.is((await a.acquire('L')).ok, true)
  await clock.advance(CHECK)
  assert.ok(a.alive, 'alive after the first check')
  assert.ok(n.events.some((e) => e.type === 'lock.lease_expired' && e.resource === 'L' && e.owner?.equals(a.pid) === true), 'lease_expired published')
  assert.ok(held('L'))
  await clock.advance(CHECK)
  await eventually(() => !a.alive, { timeout: 2000, message: 'owner killed at the second check' })
  assert.ok(n.events.some((e) => e.type === 'lock.lease_kill' && e.resource === 'L'))
  await eventually(() => !held('L'), { timeout: 2000, message: 'lock freed with its owner' })
})

test('a lock younger than the lease at a check is left alone', async () => {
  await clock.advance(CHECK - 500)
  const a = owner(n)
  assert.is((await a.acquire('young')).ok, true)
  await clock.advance(500)
  assert.not.ok(n.events.some((e) => e.type === 'lock.lease_expired'), 'age 500 < lease')
  await clock.advance(CHECK)
  assert.ok(n.events.some((e) => e.type === 'lock.lease_expired' && e.resource === 'young'))
  assert.ok(a.alive)
})

test('released between the checks: the owner is not killed', async () => {
  const a = owner(n)
  assert.is((await a.acquire('R')).ok, true)
  await clock.advance(CHECK)
  assert.ok(n.events.some((e) => e.type === 'lock.lease_expired' && e.resource === 'R'))
  assert.is((await a.release('R')).ok, true)
  await clock.advance(3 * CHECK)
  assert.ok(a.alive, 'alive: it let go')
  assert.not.ok(n.events.some((e) => e.type === 'lock.lease_kill'))
})

test('a re-acquire does not renew the lease (as ekka)', async () => {
  const a = owner(n)
  assert.is((await a.acquire('again')).ok, true)
  await clock.advance(CHECK)
  assert.is((await a.acquire('again')).ok, true)
  await clock.advance(CHECK)
  await eventually(() => !a.alive, { timeout: 2000, message: 'killed despite the re-acquire' })
})

test('lease 0 turns the check off', async () => {
  await stopAll()
  clock = new SimulatedClock(0)
  n = await startTestNode('l2', await freePortRange(3), { clock, lock: { lease: 0 } })
  const a = owner(n)
  assert.is((await a.acquire('forever')).ok, true)
  await clock.advance(10 * 60_000)
  assert.ok(a.alive)
  assert.ok(held('forever'))
  assert.not.ok(n.events.some((e) => e.type === 'lock.lease_expired' || e.type === 'lock.lease_kill'))
})

test.run()
