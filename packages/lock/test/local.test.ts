// Local locks on one node: acquire, conflict, re-acquire, release, tokens,
// typed errors for bad arguments, independent lockers by name, and a lock
// that dies with its owner.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { BadArgError } from '@tekka/actors'
import {
  acquire, release, lockerInfo, createLockService, LockArgumentError, LockerNotRunningError, type LockType
} from '../src/index.js'
import { eventually, rejects } from '@tekka/testing/wait'
import { inProcess, owner, startTestNode, stopAll, type TestNode } from './helpers/cluster.js'
import { freePortRange } from '@tekka/testing/ports'

let n: TestNode

test.before(async () => {
  n = await startTestNode('s1', await freePortRange(4))
})
test.after(async () => { await stopAll() })

test('acquire, conflict, re-acquire by the owner, release, then another owner gets it', async () => {
  const a = owner(n)
  const b = owner(n)
  const r1 = await a.acquire('res')
  assert.is(r1.ok, true)
  assert.equal(r1.nodes, [n.name])
  assert.type(r1.token, 'number')
  const r2 = await b.acquire('res')
  assert.is(r2.ok, false)
  assert.is(r2.reason, 'held')
  const r3 = await a.acquire('res')
  assert.is(r3.ok, true, 're-acquire by the same owner succeeds')
  assert.ok(r3.token! > r1.token!, 'with a larger token')
  assert.is((await b.release('res')).ok, false, 'another owner cannot release it')
  assert.is((await a.release('res')).ok, true)
  assert.is((await a.release('res')).ok, true, 'releasing what one does not hold is ok (as ekka)')
  const r4 = await b.acquire('res')
  assert.is(r4.ok, true)
  assert.ok(r4.token! > r3.token!)
  await b.release('res')
  await a.exit()
  await b.exit()
})

test('tokens strictly increase per resource, whatever the owner', async () => {
  const tokens = await inProcess(n, async (ctx) => {
    const out: number[] = []
    for (let i = 0; i < 1000; i++) {
      const r = await acquire(ctx, `t${i % 3}`)
      out.push(r.token!)
      await release(ctx, `t${i % 3}`)
    }
    return out
  })
  for (let i = 1; i < tokens.length; i++) assert.ok(tokens[i] > tokens[i - 1], `token ${i}`)
})

test('a lock dies with its owner: normal exit, crash, kill', async () => {
  for (const reason of ['normal', 'crash', 'boom', 'kill']) {
    const a = owner(n)
    assert.is((await a.acquire(`dies-${reason}`)).ok, true)
    await a.exit(reason)
    await eventually(() => lockerInfo(n.node)!.locks.every((l) => l.resource !== `dies-${reason}`), { timeout: 5000, message: `lock freed after ${reason}` })
    const b = owner(n)
    assert.is((await b.acquire(`dies-${reason}`)).ok, true)
    await b.exit()
  }
  const ev = n.events.filter((e) => e.type === 'lock.owner_down')
  assert.ok(ev.length >= 3, 'owner_down events published')
})

test('bad arguments get typed errors', async () => {
  await inProcess(n, async (ctx) => {
    const bad: Array<[() => Promise<unknown>, string]> = [
      [async () => await acquire(ctx, '', 'local'), 'resource'],
      [async () => await acquire(ctx, 42 as unknown as string), 'resource'],
      [async () => await acquire(ctx, 'r', 'global' as LockType), 'type'],
      [async () => await release(ctx, 'r', 'nope' as LockType), 'type'],
      [async () => await release(ctx, ''), 'resource'],
      [async () => await acquire(ctx, 'r', 'local', { fn: '' }), 'piggyback'],
      [async () => await acquire(ctx, 'r', 'quorum', undefined, { timeout: -1 }), 'timeout'],
      [async () => await acquire(n.node.runtime as never, 'r'), 'ctx']
    ]
    for (const [f, arg] of bad) {
      const err = await rejects(f(), LockArgumentError)
      assert.instance(err, BadArgError)
      // A BadArgError keeps its base's code; the argument it names is BadArgError's own field.
      assert.is(err.code, 'ERR_BAD_ARG', arg)
      assert.is(err.argument, arg)
      assert.is((err as BadArgError).argument, arg)
    }
    const err = await rejects(acquire(ctx, 'r', 'local', undefined, { locker: 'no_such_locker' }), LockerNotRunningError)
    assert.is(err.code, 'ERR_LOCKER_NOT_RUNNING')
    assert.is(err.locker, 'no_such_locker')
  })
})

test('lockers with different names are independent lock spaces', async () => {
  const other = createLockService({ name: 'other_locker', grace: 0 })(n.node.components)
  await other.start()
  await other.start()
  try {
    await inProcess(n, async (ctx) => {
      assert.is((await acquire(ctx, 'shared')).ok, true)
      assert.is((await acquire(ctx, 'shared', 'local', undefined, { locker: 'other_locker' })).ok, true)
    })
    const b = owner(n)
    await eventually(async () => (await b.acquire('shared')).ok, { timeout: 5000 })
    assert.ok(lockerInfo(n.node, 'other_locker') !== undefined)
    await b.exit()
  } finally {
    await other.stop()
    await other.stop()
  }
  assert.is(lockerInfo(n.node, 'other_locker'), undefined)
})

test.run()
