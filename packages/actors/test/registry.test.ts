/**
 * The name registry: register / unregister / whereis, one name per process
 * and one process per name, freed when the process dies.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NameTakenError, NoProcError, TIMEOUT, TekkaError, type ProcessContext, downFor } from '../src/index.js'
import { runtime } from './support/bounded.js'
import { withTimeout } from '@tekka/testing/wait'

const idle = async (ctx: ProcessContext): Promise<void> => {
  await ctx.receive(undefined, { timeout: 10_000 })
}

test('register, whereis, send by name, unregister', async () => {
  const rt = runtime()
  const got = await withTimeout(rt.run(async (ctx) => {
    ctx.register('me')
    assert.ok(rt.whereis('me')!.equals(ctx.self))
    assert.equal(rt.registered(), ['me'])
    assert.is(rt.processInfo(ctx.self)!.name, 'me')
    rt.send('me', 'hello by name')
    const m = await ctx.receive(undefined, { timeout: 1000 })
    ctx.unregister()
    assert.is(rt.whereis('me'), undefined)
    assert.is(rt.processInfo(ctx.self)!.name, undefined)
    return m
  }), 2000, 'register')
  assert.is(got, 'hello by name')
})

test('a taken name: NameTakenError with code ERR_NAME_TAKEN (register and spawn)', () => {
  const rt = runtime()
  const a = rt.spawn(idle, { name: 'svc' })
  const b = rt.spawn(idle)
  let err: unknown
  try { rt.register('svc', b) } catch (e) { err = e }
  assert.instance(err, NameTakenError)
  assert.instance(err, TekkaError)
  assert.is((err as NameTakenError).code, 'ERR_NAME_TAKEN')
  assert.is((err as NameTakenError).registeredName, 'svc')
  let err2: unknown
  try { rt.spawn(idle, { name: 'svc' }) } catch (e) { err2 = e }
  assert.is((err2 as NameTakenError).code, 'ERR_NAME_TAKEN')
  assert.is(rt.processCount, 2, 'the refused spawn started nothing')
  assert.ok(rt.whereis('svc')!.equals(a), 'the holder keeps its name')
  rt.exit(a, 'kill'); rt.exit(b, 'kill')
})

test('a process holds one name: registering it again under another name fails', () => {
  const rt = runtime()
  const a = rt.spawn(idle, { name: 'first' })
  assert.throws(() => { rt.register('second', a) }, (e: unknown) => (e as NameTakenError).code === 'ERR_NAME_TAKEN')
  assert.is(rt.whereis('second'), undefined)
  rt.exit(a, 'kill')
})

test('register of a dead pid: NoProcError', async () => {
  const rt = runtime()
  const dead = rt.spawn(() => {})
  await withTimeout(rt.wait(dead), 1000, 'dead')
  assert.throws(() => { rt.register('ghost', dead) }, (e: unknown) => e instanceof NoProcError && e.code === 'ERR_NOPROC')
  assert.is(rt.whereis('ghost'), undefined)
})

test('the name is freed when the process dies, and can be taken again', async () => {
  const rt = runtime()
  for (const how of ['normal', 'crash', 'kill'] as const) {
    const a = rt.spawn(async (ctx) => {
      await ctx.receive(undefined, { timeout: 10_000 })
      if (how === 'crash') throw new Error('crash')
    }, { name: 'svc' })
    const done = rt.wait(a)
    if (how === 'kill') rt.exit(a, 'kill')
    else rt.send('svc', 'go')
    await withTimeout(done, 1000, `exit by ${how}`)
    assert.is(rt.whereis('svc'), undefined, `freed after ${how}`)
    assert.not.ok(rt.registered().includes('svc'))
  }
  const b = rt.spawn(idle)
  rt.register('svc', b)
  assert.ok(rt.whereis('svc')!.equals(b))
  rt.exit(b, 'kill')
})

test('send to an unknown name throws NoProcError (ERR_NOPROC); inside a process that is its exit reason', async () => {
  const rt = runtime()
  assert.throws(() => { rt.send('nobody', 1) }, (e: unknown) => e instanceof NoProcError && e.code === 'ERR_NOPROC')
  const reason = await withTimeout(rt.run(async (ctx) => {
    const p = ctx.spawn((c) => { c.send('nobody', 'x') })
    const d = await ctx.receive(downFor(ctx.monitor(p)), { timeout: 1000 })
    return d === TIMEOUT ? d : d.reason
  }), 2000, 'send in process')
  assert.instance(reason, NoProcError)
})

test('send to { name, node } of this node with nobody registered is dropped: no throw, not routed, not kept for a later holder', async () => {
  const rt = runtime()
  const routed: unknown[] = []
  rt.attachRouter({
    send: (_from, to, msg) => { routed.push([to, msg]); return undefined },
    link () {}, unlink () {}, exit () {}, monitor () {}, demonitor () {}, down () {}
  })
  rt.send({ name: 'nobody', node: 'a@host' }, 1)
  // Inside a process the sender lives on (a send to a bare unknown name ends it with NoProcError, see above).
  const alive = await withTimeout(rt.run(async (ctx) => {
    ctx.send({ name: 'nobody', node: 'a@host' }, 2)
    await ctx.yield()
    return ctx.alive
  }), 2000, 'send in process')
  assert.ok(alive, 'the sender is still alive')
  assert.equal(routed, [], 'a name of this node never goes to the router')
  // Whoever takes the name afterwards gets only what is sent after that.
  const holder = rt.spawn(async (ctx) => { await ctx.receive((m) => m === 'stop', { timeout: 10_000 }) })
  rt.register('nobody', holder)
  rt.send({ name: 'nobody', node: 'a@host' }, 3)
  assert.equal(rt.processInfo(holder)!.messages, [3])
  rt.exit(holder, 'kill')
})

test('unregister of an unknown name throws NoProcError; whereis of it is undefined', () => {
  const rt = runtime()
  assert.throws(() => { rt.unregister('nobody') }, (e: unknown) => (e as NoProcError).code === 'ERR_NOPROC')
  assert.is(rt.whereis('nobody'), undefined)
})

test('an empty name is refused', () => {
  const rt = runtime()
  const a = rt.spawn(idle)
  assert.throws(() => { rt.register('', a) }, (e: unknown) => (e as { code?: string }).code === 'ERR_BAD_ARG')
  rt.exit(a, 'kill')
})

test.run()
