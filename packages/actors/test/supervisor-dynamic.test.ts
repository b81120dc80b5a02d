import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  Pid, settle, startSupervisor, startGenServer, startChild, terminateChild, restartChild, deleteChild, whichChildren, countChildren,
  StartError, BadArgError, ChildExistsError, ChildNotFoundError, ChildRunningError, ChildRestartingError
} from '../src/index.js'
import type { ChildSpec, ProcessContext } from '../src/index.js'
import { rejects, until } from '@tekka/testing/wait'
import { runtime, child, worker, exitWith, pidOf } from './supervisor-fixtures.js'


test('startChild starts and links a child, after the existing ones', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { children: [child(events, 'a')] }, { name: 'dyn' })
  const b = await startChild(r, 'dyn', child(events, 'b'))
  assert.ok(b instanceof Pid && r.isAlive(b))
  assert.equal((await whichChildren(r, sup)).map((k) => k.id), ['a', 'b'])
  assert.ok(r.processInfo(sup)!.links.some((l) => l.equals(b)))
  assert.equal(await countChildren(r, sup), { specs: 2, active: 2, supervisors: 0, workers: 2 })
  assert.equal(events, ['start a', 'start b'])
  // A dynamic child is supervised like the others.
  exitWith(r, b, 'boom')
  await until(async () => { const p = await pidOf(r, sup, 'b'); return p instanceof Pid && !p.equals(b) })
})

test('startChild with an id in use: ChildExistsError with the pid if running, without it if only the spec is left', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { children: [child(events, 'a')] })
  const a = await pidOf(r, sup, 'a') as Pid
  const e1 = await rejects(startChild(r, sup, child(events, 'a')), ChildExistsError)
  assert.is(e1.code, 'ERR_CHILD_EXISTS')
  assert.ok(e1.pid?.equals(a))
  await terminateChild(r, sup, 'a')
  const e2 = await rejects(startChild(r, sup, child(events, 'a')), ChildExistsError)
  assert.is(e2.pid, undefined)
  assert.equal(events, ['start a'])
})

test('startChild that fails to start rejects with StartError and adds nothing; a bad spec is refused', async () => {
  const r = runtime()
  const sup = await startSupervisor(r, {})
  const boom = new Error('cannot start')
  const failing: ChildSpec = { id: 'f', start: (ctx: ProcessContext) => startGenServer(ctx, { init (): never { throw boom } }, undefined, { link: true }) }
  const err = await rejects(startChild(r, sup, failing), StartError)
  assert.is(err.reason, boom)
  assert.equal(await whichChildren(r, sup), [])
  await rejects(startChild(r, sup, { id: 'x' } as ChildSpec), BadArgError)
  assert.ok(r.isAlive(sup))
})

test('terminateChild stops a child with its shutdown and keeps the spec; a permanent child is not restarted', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { children: [child(events, 'a', { trap: true }), child(events, 'b', { trap: true })] })
  const a = await pidOf(r, sup, 'a') as Pid
  await terminateChild(r, sup, 'a')
  assert.not.ok(r.isAlive(a))
  await settle()
  assert.equal(events, ['start a', 'start b', 'stop a shutdown'])
  assert.equal((await whichChildren(r, sup)).map((k) => [k.id, k.pid === undefined]), [['a', true], ['b', false]])
  assert.equal(await countChildren(r, sup), { specs: 2, active: 1, supervisors: 0, workers: 2 })
  // Terminating it again is fine; an unknown id is not.
  await terminateChild(r, sup, 'a')
  const err = await rejects(terminateChild(r, sup, 'zz'), ChildNotFoundError)
  assert.is(err.code, 'ERR_CHILD_NOT_FOUND')
})

test('terminateChild forgets a temporary child', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { children: [child(events, 't', { restart: 'temporary' })] })
  await terminateChild(r, sup, 't')
  assert.equal(await whichChildren(r, sup), [])
  const t2 = await startChild(r, sup, child(events, 't2', { restart: 'temporary' }))
  exitWith(r, t2 as Pid, 'normal')
  await until(async () => (await whichChildren(r, sup)).length === 0)
})

test('restartChild starts a stopped child again; a running one is refused', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { children: [child(events, 'a')] })
  const a1 = await pidOf(r, sup, 'a') as Pid
  const e1 = await rejects(restartChild(r, sup, 'a'), ChildRunningError)
  assert.is(e1.code, 'ERR_CHILD_RUNNING')
  await terminateChild(r, sup, 'a')
  const a2 = await restartChild(r, sup, 'a')
  assert.ok(a2 instanceof Pid && r.isAlive(a2) && !a2.equals(a1))
  assert.ok((await pidOf(r, sup, 'a') as Pid).equals(a2))
  await rejects(restartChild(r, sup, 'nope'), ChildNotFoundError)
})

test('restartChild whose start fails rejects with StartError and leaves the child stopped', async () => {
  const r = runtime()
  const events: string[] = []
  let fail = false
  const sup = await startSupervisor(r, {
    children: [{
      id: 'f',
      start: (ctx: ProcessContext) => {
        if (fail) throw new Error('not now')
        return startGenServer(ctx, worker(events, 'f'), undefined, { link: true })
      }
    }]
  })
  await terminateChild(r, sup, 'f')
  fail = true
  const err = await rejects(restartChild(r, sup, 'f'), StartError)
  assert.is((err.reason as Error).message, 'not now')
  assert.is(await pidOf(r, sup, 'f'), undefined)
})

test('deleteChild removes a stopped child\'s spec; a running one is refused', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { children: [child(events, 'a'), child(events, 'b')] })
  await rejects(deleteChild(r, sup, 'a'), ChildRunningError)
  await terminateChild(r, sup, 'a')
  await deleteChild(r, sup, 'a')
  assert.equal((await whichChildren(r, sup)).map((k) => k.id), ['b'])
  await rejects(deleteChild(r, sup, 'a'), ChildNotFoundError)
  // The id is free again.
  await startChild(r, sup, child(events, 'a'))
  assert.equal((await whichChildren(r, sup)).map((k) => k.id), ['b', 'a'])
})

test('while a failed restart waits for its retry the child is restarting, and other requests get in between', async () => {
  const r = runtime()
  const events: string[] = []
  let attempts = 0
  let sup: Pid | undefined
  const seen: unknown[] = []
  const during: Array<Promise<unknown>> = []
  const spec: ChildSpec = {
    id: 'f',
    async start (ctx: ProcessContext) {
      attempts++
      if (attempts === 2) {
        // Requests made while this attempt runs wait in the mailbox ahead of the retry.
        during.push(whichChildren(r, sup!).then((kids) => seen.push(kids[0].pid)))
        during.push(rejects(restartChild(r, sup!, 'f')).then((e) => seen.push(e)))
        during.push(rejects(deleteChild(r, sup!, 'f')).then((e) => seen.push(e)))
        during.push(terminateChild(r, sup!, 'f'))
        await settle()
        throw new Error('second start fails')
      }
      return await startGenServer(ctx, worker(events, 'f'), undefined, { link: true })
    }
  }
  sup = await startSupervisor(r, { intensity: 5, children: [spec] })
  exitWith(r, await pidOf(r, sup, 'f') as Pid, 'boom')
  await until(() => during.length === 4)
  await Promise.all(during)
  await settle()
  assert.is(seen[0], 'restarting')
  assert.instance(seen[1], ChildRestartingError)
  assert.is((seen[1] as ChildRestartingError).code, 'ERR_CHILD_RESTARTING')
  assert.instance(seen[2], ChildRestartingError)
  // terminateChild got in before the retry: the retry finds nothing to do.
  assert.is(attempts, 2)
  assert.is(await pidOf(r, sup, 'f'), undefined)
  assert.ok(r.isAlive(sup))
})

test('dynamic children take part in one_for_all restarts, in start order', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { strategy: 'one_for_all', intensity: 5, children: [child(events, 'a', { trap: true })] })
  await startChild(r, sup, child(events, 'b', { trap: true }))
  await startChild(r, sup, child(events, 'c', { trap: true }))
  events.length = 0
  exitWith(r, await pidOf(r, sup, 'a') as Pid, 'boom')
  await until(() => events.includes('start c'))
  assert.equal(events, ['stop a boom', 'stop c shutdown', 'stop b shutdown', 'start a', 'start b', 'start c'])
})

test('one_for_all restarts a child stopped with terminateChild too (as OTP)', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { strategy: 'one_for_all', intensity: 5, children: [child(events, 'a'), child(events, 'b')] })
  await terminateChild(r, sup, 'b')
  events.length = 0
  exitWith(r, await pidOf(r, sup, 'a') as Pid, 'boom')
  await until(() => events.includes('start b'))
  assert.ok(await pidOf(r, sup, 'b') instanceof Pid)
})

test('the API works from inside processes and by name', async () => {
  const r = runtime()
  const events: string[] = []
  await startSupervisor(r, {}, { name: 'root' })
  const got = await r.run(async (ctx) => {
    const p = await startChild(ctx, 'root', child(events, 'w'))
    const kids = await whichChildren(ctx, { name: 'root', node: 'a@host' })
    await terminateChild(ctx, 'root', 'w')
    await deleteChild(ctx, 'root', 'w')
    return { p, kids, after: await countChildren(ctx, 'root') }
  })
  assert.ok(got.p instanceof Pid)
  assert.equal(got.kids.map((k) => k.id), ['w'])
  assert.equal(got.after, { specs: 0, active: 0, supervisors: 0, workers: 0 })
})

test.run()
