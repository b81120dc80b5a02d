/**
 * No process can crash the node: an uncaught throw or a rejected promise in
 * a process becomes its exit reason (the Error itself, message and stack
 * kept), seen by links and monitors.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { TIMEOUT, isExitMessage, memoryLogger, type ProcessFn, downFor } from '../src/index.js'
import { runtime } from './support/bounded.js'
import { sleep, withTimeout } from '@tekka/testing/wait'

// Anything that escaped into the event loop would land here (and, without
// these handlers, end this test process).
const escaped: unknown[] = []
process.on('uncaughtException', (e) => { escaped.push(e) })
process.on('unhandledRejection', (e) => { escaped.push(e) })

/** The exit reason of a process running `fn`, seen through a monitor and a trapped link. */
async function reasonOf (fn: ProcessFn): Promise<{ down: unknown, exit: unknown }> {
  const rt = runtime()
  return await withTimeout(rt.run(async (ctx) => {
    ctx.trapExit(true)
    const pid = ctx.spawnLink(fn)
    const ref = ctx.monitor(pid)
    const d = await ctx.receive(downFor(ref), { timeout: 1000 })
    const e = await ctx.receive(isExitMessage, { timeout: 1000 })
    return { down: d === TIMEOUT ? d : d.reason, exit: e === TIMEOUT ? e : e.reason }
  }), 2000, 'exit reason')
}

function assertError (reason: unknown, message: string, fnName: string): void {
  assert.instance(reason, Error)
  const e = reason as Error
  assert.is(e.message, message)
  assert.type(e.stack, 'string')
  assert.ok(e.stack!.includes(message), 'stack starts with the message')
  assert.ok(e.stack!.includes(fnName), `stack names the throwing function ${fnName}: ${e.stack!}`)
}

test('an uncaught throw after an await is the exit reason, in DOWN and EXIT', async () => {
  async function throwsAfterAwait (ctx: Parameters<ProcessFn>[0]): Promise<void> {
    await ctx.sleep(1)
    throw new TypeError('after await')
  }
  const r = await reasonOf(throwsAfterAwait)
  assertError(r.down, 'after await', 'throwsAfterAwait')
  assert.instance(r.down, TypeError)
  assert.is(r.exit, r.down, 'links and monitors see the same reason')
})

test('a synchronous throw before the first await (async function)', async () => {
  async function throwsAtOnce (): Promise<void> { throw new Error('at once') }
  const r = await reasonOf(throwsAtOnce)
  assertError(r.down, 'at once', 'throwsAtOnce')
  assert.is(r.exit, r.down)
})

test('a synchronous throw from a plain (non-async) function', async () => {
  function plainThrow (): void { throw new RangeError('plain') }
  const r = await reasonOf(plainThrow)
  assertError(r.down, 'plain', 'plainThrow')
  assert.is(r.exit, r.down)
})

test('an awaited promise that rejects is the exit reason', async () => {
  function failLater (): Promise<never> {
    return new Promise((_resolve, reject) => { setTimeout(() => { reject(new Error('rejected later')) }, 1) })
  }
  const r = await reasonOf(async () => { await failLater() })
  assertError(r.down, 'rejected later', 'Timeout')
  assert.is(r.exit, r.down)
})

test('a returned rejected promise (not awaited inside) is the exit reason', async () => {
  const err = new Error('returned rejection')
  const r = await reasonOf(() => Promise.reject(err))
  assert.is(r.down, err)
})

test('a thrown non-Error value is the reason as is', async () => {
  const r = await reasonOf(async (ctx) => { await ctx.sleep(1); const reason: unknown = { code: 42 }; throw reason })
  assert.equal(r.down, { code: 42 })
})

test('a throwing match function ends the receiving process, not the sender', async () => {
  const rt = runtime()
  const out = await withTimeout(rt.run(async (ctx) => {
    const victim = ctx.spawn(async (c) => {
      await c.receive((m) => { if (m === 'poison') throw new Error('bad match'); return false }, { timeout: 10_000 })
    })
    const ref = ctx.monitor(victim)
    await ctx.sleep(1)
    ctx.send(victim, 'poison') // the match runs here, in our send
    const d = await ctx.receive(downFor(ref), { timeout: 1000 })
    return { reason: d === TIMEOUT ? d : d.reason, senderAlive: rt.isAlive(ctx.self) }
  }), 2000, 'throwing match')
  assertError(out.reason, 'bad match', 'receive')
  assert.ok(out.senderAlive)
})

test('a throwing match on messages already queued ends the process', async () => {
  const r = await reasonOf(async (ctx) => {
    ctx.send(ctx.self, 'poison')
    await ctx.receive(() => { throw new Error('bad scan') })
  })
  assertError(r.down, 'bad scan', 'bad scan')
})

test('calling receive while a receive is pending is a bug in the process: it ends it', async () => {
  const r = await reasonOf(async (ctx) => {
    void ctx.receive(undefined, { timeout: 10_000 })
    await ctx.receive(undefined, { timeout: 10_000 })
  })
  assert.is((r.down as { code?: string }).code, 'ERR_BAD_ARG')
})

test('a crash is logged as a warning with the stack, through the injected logger', async () => {
  const log = memoryLogger()
  const rt = runtime({ logger: log })
  const pid = rt.spawn(async () => { throw new Error('logged crash') })
  await withTimeout(rt.wait(pid), 1000, 'crash')
  const rec = log.records.find((r) => r.msg === 'process crashed')
  assert.ok(rec !== undefined, 'a record was written')
  assert.is(rec.level, 'warn')
  assert.ok(String(rec.fields?.reason).includes('logged crash'))
  assert.is(rec.fields?.pid, pid.toString())
})

test('many kinds of failure at once: the node (this test process) survives and nothing escapes', async () => {
  const rt = runtime()
  const fns: ProcessFn[] = [
    () => { throw new Error('sync') },
    async () => { throw new Error('async') },
    async () => { await Promise.reject(new Error('rejected')) },
    () => Promise.reject(new Error('returned')),
    async (ctx) => { ctx.exit(new Error('exit with error')) },
    async (ctx) => { ctx.exit('boom') },
    async (ctx) => { await ctx.sleep(1); ctx.exit(ctx.self, 'kill') },
    async (ctx) => { await ctx.sleep(1); JSON.parse('{not json') },
    async (ctx) => { ctx.send('no-such-name', 1) },
    async (ctx) => { await ctx.receive(() => { throw new Error('match') }, { timeout: 5 }); ctx.send(ctx.self, 1); await ctx.receive(() => { throw new Error('m') }) },
    // exit() thrown and caught by user code: the process is dead anyway, and stays so
    async (ctx) => { try { ctx.exit('caught') } catch { /* ignore */ } await ctx.receive(undefined, { timeout: 5 }); throw new Error('never seen') }
  ]
  const reasons = await withTimeout(rt.run(async (ctx) => {
    const refs = fns.map((fn) => ctx.spawnMonitor(fn).ref)
    const out: unknown[] = []
    for (const ref of refs) {
      const d = await ctx.receive(downFor(ref), { timeout: 1000 })
      out.push(d === TIMEOUT ? d : d.reason)
    }
    return out
  }), 2000, 'all exit')
  await sleep(20)
  assert.equal(escaped, [], 'no uncaught exception or unhandled rejection')
  assert.is(rt.processCount, 0)
  assert.not.ok(reasons.includes(TIMEOUT))
  assert.is(reasons.length, fns.length)
  assert.is(reasons[5], 'boom')
  assert.is(reasons[6], 'killed')
  assert.is(reasons[10], 'caught')
  for (const i of [0, 1, 2, 3, 4, 7, 8]) assert.instance(reasons[i], Error, `reason ${i}`)
})

test('nothing escaped during the whole file', () => {
  assert.equal(escaped, [])
})

test.run()
