import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  createRuntime, silentLogger, memoryLogger, SimulatedClock, settle, Pid, TIMEOUT,
  startGenServer, call, cast, replyTo, stopServer, reply, noreply, stop,
  StartError, BadReturnError, NoHandlerError, CallTimeoutError, CallExitError, NameTakenError, BadArgError,
  isExitMessage, isDownMessage
} from '../src/index.js'
import type { GenServer, From, ProcessContext, RemoteRouter } from '../src/index.js'
import { rejects, until } from '@tekka/testing/wait'

const rt = (clock?: SimulatedClock) => createRuntime({ node: 'a@host', logger: silentLogger(), ...(clock !== undefined ? { clock } : {}) })

type CounterCall = { op: 'get' } | { op: 'add', n: number } | { op: 'self' }
const counter: GenServer<number, CounterCall, unknown, 'inc' | 'dec', number> = {
  init: (start) => start,
  handleCall (req, _from, n, ctx) {
    if (req.op === 'get') return reply(n, n)
    if (req.op === 'self') return reply(ctx.self, n)
    return reply(n + req.n, n + req.n)
  },
  handleCast: (msg, n) => noreply(msg === 'inc' ? n + 1 : n - 1)
}

test('start, call and cast keep the state; init runs in the server process', async () => {
  const r = rt()
  const pid = await startGenServer(r, counter, 10)
  assert.ok(pid instanceof Pid)
  assert.ok(r.isAlive(pid))
  assert.ok((await call<Pid>(r, pid, { op: 'self' })).equals(pid))
  cast(r, pid, 'inc')
  cast(r, pid, 'inc')
  cast(r, pid, 'dec')
  assert.is(await call(r, pid, { op: 'get' }), 11)
  assert.is(await call(r, pid, { op: 'add', n: 5 }), 16)
})

test('startGenServer resolves only after an async init completed', async () => {
  const clock = new SimulatedClock()
  const r = rt(clock)
  let initDone = false
  let resolved = false
  const p = startGenServer(r, {
    async init (_: undefined, ctx: ProcessContext) { await ctx.sleep(100); initDone = true; return 'ready' },
    handleCall: (_req: unknown, _from: From, s: string) => reply(s, s)
  }, undefined).then((pid) => { resolved = true; return pid })
  await clock.advance(99)
  assert.not.ok(initDone)
  assert.not.ok(resolved)
  await clock.advance(1)
  const pid = await p
  assert.ok(initDone)
  assert.is(await call(r, pid, 'state?'), 'ready')
})

test('handlers are async and run one message at a time, in order', async () => {
  const r = rt()
  let running = 0
  let maxRunning = 0
  const seen: number[] = []
  const slow: GenServer<number[], 'dump', number[], number> = {
    init: () => [],
    async handleCast (n, xs, ctx) {
      running++
      maxRunning = Math.max(maxRunning, running)
      await ctx.yield()
      await new Promise((resolve) => setTimeout(resolve, n % 3))
      seen.push(n)
      running--
      return noreply([...xs, n])
    },
    async handleCall (_req, _from, xs) {
      await new Promise((resolve) => setTimeout(resolve, 1))
      return reply(xs, xs)
    }
  }
  const pid = await startGenServer(r, slow, undefined)
  for (let i = 0; i < 10; i++) cast(r, pid, i)
  const got = await call(r, pid, 'dump')
  assert.equal(got, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  assert.equal(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  assert.is(maxRunning, 1)
})

test('init that throws fails the start with its error; the process is gone and its name free', async () => {
  const r = rt()
  const boom = new Error('bad config')
  let spawned: Pid | undefined
  const err = await rejects(startGenServer(r, {
    init (_: undefined, ctx: ProcessContext): never { spawned = ctx.self; throw boom }
  }, undefined, { name: 'svc' }), StartError, 'bad config')
  assert.is(err.code, 'ERR_START_FAILED')
  assert.is(err.reason, boom)
  assert.ok(spawned !== undefined && !r.isAlive(spawned))
  assert.is(r.whereis('svc'), undefined)
  // The name can be taken again at once.
  const pid = await startGenServer(r, counter, 1, { name: 'svc' })
  assert.ok(r.whereis('svc')?.equals(pid))
})

test('a linked start whose init fails does not kill the caller, and leaves no EXIT to a trapping one', async () => {
  const r = rt()
  const failing: GenServer<never> = { init () { throw new Error('nope') } }
  const plain = await r.run(async (ctx) => {
    const err = await rejects(startGenServer(ctx, failing, undefined, { link: true }), StartError)
    return { err, alive: ctx.alive }
  })
  assert.instance(plain.err, StartError)
  assert.ok(plain.alive)
  const trapping = await r.run(async (ctx) => {
    ctx.trapExit(true)
    const err = await rejects(startGenServer(ctx, failing, undefined, { link: true }), StartError)
    await settle()
    const left = await ctx.receive(undefined, { timeout: 0 })
    return { err, left }
  })
  assert.instance(trapping.err, StartError)
  assert.is(trapping.left, TIMEOUT)
})

test('start timeout kills a server whose init takes too long (simulated clock)', async () => {
  const clock = new SimulatedClock()
  const r = rt(clock)
  let server: Pid | undefined
  let outcome: unknown = 'pending'
  const p = r.run(async (ctx) => {
    ctx.trapExit(true)
    const err = await rejects(startGenServer(ctx, {
      async init (_: undefined, c: ProcessContext) { server = c.self; await c.sleep(10_000); return 0 }
    }, undefined, { link: true, timeout: 500 }), StartError)
    const left = await ctx.receive(undefined, { timeout: 0 })
    return { err, left }
  }).then((x) => { outcome = x; return x })
  await clock.advance(499)
  assert.is(outcome, 'pending')
  assert.ok(server !== undefined && r.isAlive(server))
  await clock.advance(1)
  const { err, left } = await p
  assert.instance(err, StartError)
  assert.is((err).reason, 'timeout')
  assert.not.ok(r.isAlive(server))
  assert.is(left, TIMEOUT)
})

test('names: call and cast by name; a taken name rejects with NameTakenError', async () => {
  const r = rt()
  const pid = await startGenServer(r, counter, 0, { name: 'counter' })
  assert.ok(r.whereis('counter')?.equals(pid))
  cast(r, 'counter', 'inc')
  assert.is(await call(r, 'counter', { op: 'get' }), 1)
  assert.is(await call(r, { name: 'counter', node: 'a@host' }, { op: 'get' }), 1)
  await rejects(startGenServer(r, counter, 0, { name: 'counter' }), NameTakenError)
})

test('link: true from a Runtime is refused', async () => {
  await rejects(startGenServer(rt(), counter, 0, { link: true }), BadArgError)
})

test('call timeout throws CallTimeoutError on the simulated clock and removes the monitor', async () => {
  const clock = new SimulatedClock()
  const r = rt(clock)
  const froms: From[] = []
  const silent: GenServer<null> = {
    init: () => null,
    handleCall (_req, from, s) { froms.push(from); return noreply(s) }
  }
  const server = await startGenServer(r, silent, undefined)
  let outcome: unknown = 'pending'
  let caller: Pid | undefined
  const p = r.run(async (ctx) => {
    caller = ctx.self
    try {
      await call(ctx, server, 'hello', { timeout: 1000 })
      return 'replied'
    } catch (err) {
      return { err, monitors: r.processInfo(ctx.self)!.monitors.length, monitoredBy: r.processInfo(server)!.monitoredBy.length }
    }
  }).then((x) => { outcome = x; return x })
  await clock.advance(999)
  assert.is(outcome, 'pending')
  assert.ok(caller !== undefined)
  await clock.advance(1)
  const got = await p as { err: CallTimeoutError, monitors: number, monitoredBy: number }
  assert.instance(got.err, CallTimeoutError)
  assert.is(got.err.code, 'ERR_CALL_TIMEOUT')
  assert.is(got.err.timeout, 1000)
  assert.is(got.monitors, 0)
  assert.is(got.monitoredBy, 0)
  assert.ok(r.isAlive(server))
})

test('the default call timeout is 5000 ms', async () => {
  const clock = new SimulatedClock()
  const r = rt(clock)
  const server = await startGenServer(r, { init: () => null, handleCall: (_q: unknown, _f: From, s: null) => noreply(s) }, undefined)
  let outcome: unknown = 'pending'
  const p = rejects(call(r, server, 'x'), CallTimeoutError).then((e) => { outcome = e; return e })
  await clock.advance(4999)
  assert.is(outcome, 'pending')
  await clock.advance(1)
  assert.instance(await p, CallTimeoutError)
})

test('a reply that comes after the timeout stays in the caller\'s mailbox (as in Erlang)', async () => {
  const clock = new SimulatedClock()
  const r = rt(clock)
  const froms: From[] = []
  const server = await startGenServer(r, {
    init: () => null,
    handleCall (_req: unknown, from: From, s: null) { froms.push(from); return noreply(s) }
  }, undefined)
  const p = r.run(async (ctx) => {
    const err = await rejects(call(ctx, server, 'q', { timeout: 10 }), CallTimeoutError)
    replyTo(r, froms[0], 'late')
    const late = await ctx.receive(undefined, { timeout: 0 })
    return { err, late }
  })
  await clock.advance(10)
  const { err, late } = await p
  assert.instance(err, CallTimeoutError)
  assert.equal(late, { type: '$gen_reply', tag: froms[0].tag, value: 'late' })
})

test('call to a dead pid or an unknown name throws CallExitError noproc', async () => {
  const r = rt()
  const pid = await startGenServer(r, counter, 0)
  await stopServer(r, pid)
  const e1 = await rejects(call(r, pid, { op: 'get' }), CallExitError)
  assert.is(e1.code, 'ERR_CALL_EXIT')
  assert.is(e1.reason, 'noproc')
  const e2 = await rejects(call(r, 'nobody', { op: 'get' }), CallExitError)
  assert.is(e2.reason, 'noproc')
})

test('call to a server that dies while handling it throws CallExitError with its reason', async () => {
  const r = rt()
  const boom = new Error('handler exploded')
  const pid = await startGenServer(r, {
    init: () => 0,
    handleCall () { throw boom }
  }, undefined)
  const err = await rejects(call(r, pid, 'x'), CallExitError)
  assert.is(err.reason, boom)
  assert.match(err.message, 'handler exploded')
})

test('call to a server on a lost node throws CallExitError noconnection', async () => {
  const r = rt()
  const remote = new Pid('b@host', 7, 1)
  // Without a router, another node is unreachable.
  const e1 = await rejects(call(r, remote, 'x'), CallExitError)
  assert.is(e1.reason, 'noconnection')
  // With a router that delivers nothing, the node going down ends the call.
  const router: RemoteRouter = {
    send: () => undefined, link: () => {}, unlink: () => {}, exit: () => {}, monitor: () => {}, demonitor: () => {}, down: () => {}
  }
  const inbound = r.attachRouter(router)
  const p = rejects(call(r, remote, 'x', { timeout: Infinity }), CallExitError)
  await until(() => r.processes().some((pid) => r.processInfo(pid)!.monitors.length === 1), 'the call waiting')
  inbound.nodeDown('b@host')
  const e2 = await p
  assert.is(e2.reason, 'noconnection')
})

test('a call leaves the caller\'s other messages in place and in order', async () => {
  const r = rt()
  const server = await startGenServer(r, counter, 3)
  const got = await r.run(async (ctx) => {
    ctx.send(ctx.self, 'first')
    ctx.send(ctx.self, { type: 'DOWN', ref: ctx.makeRef(), pid: server, reason: 'decoy' })
    const n = await call(ctx, server, { op: 'get' })
    ctx.send(ctx.self, 'last')
    const rest = [await ctx.receive(), await ctx.receive(), await ctx.receive()]
    return { n, rest, more: await ctx.receive(undefined, { timeout: 0 }) }
  })
  assert.is(got.n, 3)
  assert.is(got.rest[0], 'first')
  assert.ok(isDownMessage(got.rest[1]))
  assert.is(got.rest[2], 'last')
  assert.is(got.more, TIMEOUT)
})

test('a call from a server to itself fails at once with calling_self', async () => {
  const r = rt()
  const pid = await startGenServer(r, {
    init: () => null,
    async handleCall (req: string, _from: From, s: null, ctx: ProcessContext) {
      if (req === 'outer') {
        try { await call(ctx, ctx.self, 'inner') } catch (err) { return reply((err as CallExitError).reason, s) }
      }
      return reply('inner', s)
    }
  }, undefined)
  assert.is(await call(r, pid, 'outer'), 'calling_self')
})

test('handleCall can answer later through from (noreply, then replyTo from another message)', async () => {
  const r = rt()
  type S = { waiting: From[] }
  let waiting = 0
  const queue: GenServer<S, 'wait', string, { release: string }> = {
    init: () => ({ waiting: [] }),
    handleCall: (_req, from, s) => { waiting++; return noreply({ waiting: [...s.waiting, from] }) },
    handleCast (msg, s, ctx) {
      for (const f of s.waiting) replyTo(ctx, f, msg.release)
      return noreply({ waiting: [] })
    }
  }
  const pid = await startGenServer(r, queue, undefined)
  const results: unknown[] = []
  const a = call(r, pid, 'wait', { timeout: Infinity }).then((v) => results.push(['a', v]))
  const b = call(r, pid, 'wait', { timeout: Infinity }).then((v) => results.push(['b', v]))
  await until(() => waiting === 2, 'both calls waiting')
  await settle()
  assert.equal(results, [])
  cast(r, pid, { release: 'go' })
  await Promise.all([a, b])
  assert.equal(results.sort(), [['a', 'go'], ['b', 'go']])
})

test('from can be handed to another process, which replies', async () => {
  const r = rt()
  const pid = await startGenServer(r, {
    init: () => null,
    handleCall (req: number, from: From, s: null, ctx: ProcessContext) {
      ctx.spawn(async (helper) => { await helper.yield(); replyTo(helper, from, req * 2) })
      return noreply(s)
    }
  }, undefined)
  assert.is(await call(r, pid, 21), 42)
})

test('stop from handleCall runs terminate, then replies, then exits with the reason', async () => {
  const r = rt()
  const events: string[] = []
  const pid = await startGenServer(r, {
    init: () => 'st',
    handleCall: (_req: unknown, _from: From, s: string) => stop('done', s, 'bye'),
    terminate (reason: unknown, s: string) { events.push(`terminate ${String(reason)} ${s}`) }
  }, undefined)
  const exited = r.wait(pid)
  const answer = await call(r, pid, 'stop please')
  events.push(`reply ${String(answer)}`)
  assert.is(await exited, 'done')
  assert.equal(events, ['terminate done st', 'reply bye'])
})

test('stop from handleCast and handleInfo runs terminate with the reason and state', async () => {
  const r = rt()
  const seen: unknown[] = []
  const b: GenServer<number, unknown, unknown, string> = {
    init: () => 1,
    handleCast: (msg, n) => stop({ shutdown: msg }, n + 1),
    handleInfo: (msg, n) => stop(msg, n + 2),
    terminate (reason, n) { seen.push([reason, n]) }
  }
  const p1 = await startGenServer(r, b, undefined)
  const w1 = r.wait(p1)
  cast(r, p1, 'enough')
  assert.equal(await w1, { shutdown: 'enough' })
  const p2 = await startGenServer(r, b, undefined)
  const w2 = r.wait(p2)
  r.send(p2, 'info-stop')
  assert.is(await w2, 'info-stop')
  assert.equal(seen, [[{ shutdown: 'enough' }, 2], ['info-stop', 3]])
})

test('sync, promise and thenable handler results all count, and mixed they keep message order', async () => {
  const r = rt()
  const seen: string[] = []
  const mixed: GenServer<number, 'sync' | 'promise' | 'thenable' | 'get', number, string> = {
    init: () => 0,
    handleCall (req, _from, n) {
      if (req === 'get') return reply(n, n)
      if (req === 'promise') return Promise.resolve(reply(n + 10, n + 10))
      if (req === 'thenable') return { then: (ok: (v: unknown) => void) => { ok(reply(n + 100, n + 100)) } } as unknown as ReturnType<typeof reply<number, number>>
      return reply(n + 1, n + 1)
    },
    handleCast (tag, n) {
      seen.push(tag)
      return tag.startsWith('slow') ? new Promise((resolve) => { setTimeout(() => { resolve(noreply(n)) }, 2) }) : noreply(n)
    }
  }
  const pid = await startGenServer(r, mixed, undefined)
  assert.is(await call(r, pid, 'sync'), 1)
  assert.is(await call(r, pid, 'promise'), 11)
  assert.is(await call(r, pid, 'thenable'), 111)
  for (const tag of ['a', 'slow-b', 'c', 'slow-d', 'e']) cast(r, pid, tag)
  assert.is(await call(r, pid, 'get'), 111)
  assert.equal(seen, ['a', 'slow-b', 'c', 'slow-d', 'e'], 'a synchronous handler never overtakes a pending asynchronous one')
})

test('a bad result from a thenable is a BadReturnError too', async () => {
  const r = rt()
  const pid = await startGenServer(r, {
    init: () => 0,
    handleCall: () => Promise.resolve({ kind: 'nonsense' }) as never
  }, undefined)
  const exited = r.wait(pid)
  await rejects(call(r, pid, 'x'), CallExitError)
  assert.instance(await exited, BadReturnError)
})

test('a handler that throws ends the server with that Error as reason, after terminate', async () => {
  const r = rt()
  const log = memoryLogger()
  const r2 = createRuntime({ node: 'a@host', logger: log })
  for (const runtime of [r, r2]) {
    const seen: unknown[] = []
    const pid = await startGenServer(runtime, {
      init: () => 0,
      handleCast (msg: string): never { throw new TypeError(`cannot ${msg}`) },
      terminate (reason: unknown) { seen.push(reason) }
    }, undefined)
    const exited = runtime.wait(pid)
    cast(runtime, pid, 'fly')
    const reason = await exited
    assert.instance(reason, TypeError)
    assert.is((reason as Error).message, 'cannot fly')
    assert.match((reason as Error).stack ?? '', 'handleCast')
    assert.is(seen[0], reason)
  }
  assert.ok(log.records.some((rec) => rec.level === 'error' && rec.msg === 'server terminating' && rec.fields?.lastMessage !== undefined))
})

test('a throwing terminate replaces the exit reason', async () => {
  const r = rt()
  const pid = await startGenServer(r, {
    init: () => 0,
    handleCast: (_m: unknown, s: number) => stop('planned', s),
    terminate (): never { throw new Error('cleanup failed') }
  }, undefined)
  const exited = r.wait(pid)
  cast(r, pid, 'go')
  assert.is((await exited as Error).message, 'cleanup failed')
})

test('a bad return value ends the server with BadReturnError', async () => {
  const r = rt()
  const pid = await startGenServer(r, {
    init: () => 0,
    handleCast: (_m: unknown, s: number) => s as unknown as ReturnType<typeof noreply<number>>
  }, undefined)
  const exited = r.wait(pid)
  cast(r, pid, 'x')
  const reason = await exited
  assert.instance(reason, BadReturnError)
  assert.is((reason as BadReturnError).code, 'ERR_BAD_RETURN')
  // A cast cannot reply.
  const pid2 = await startGenServer(r, {
    init: () => 0,
    handleCast: (_m: unknown, s: number) => stop('x', s, 'reply') as unknown as ReturnType<typeof noreply<number>>
  }, undefined)
  const exited2 = r.wait(pid2)
  cast(r, pid2, 'x')
  assert.instance(await exited2, BadReturnError)
})

test('a call to a behaviour without handleCall crashes the server with NoHandlerError', async () => {
  const r = rt()
  const pid = await startGenServer(r, { init: () => 0 }, undefined)
  const err = await rejects(call(r, pid, 'x'), CallExitError)
  assert.instance(err.reason, NoHandlerError)
})

test('other messages go to handleInfo; without handleInfo they are logged and dropped', async () => {
  const r = rt()
  const pid = await startGenServer(r, {
    init: () => [] as unknown[],
    handleInfo: (msg: unknown, xs: unknown[]) => noreply([...xs, msg]),
    handleCall: (_q: unknown, _f: From, xs: unknown[]) => reply(xs, xs)
  }, undefined)
  r.send(pid, 'a')
  r.send(pid, { b: 1 })
  assert.equal(await call(r, pid, 'get'), ['a', { b: 1 }])
  const log = memoryLogger()
  const r2 = createRuntime({ node: 'a@host', logger: log })
  const pid2 = await startGenServer(r2, { init: () => 0, handleCall: (_q: unknown, _f: From, s: number) => reply(s, s) }, undefined)
  r2.send(pid2, 'stray')
  assert.is(await call(r2, pid2, 'get'), 0)
  assert.ok(log.records.some((rec) => rec.msg === 'unexpected message' && rec.fields?.msg === 'stray'))
})

test('stopServer runs terminate and waits for the exit', async () => {
  const r = rt()
  const seen: unknown[] = []
  const pid = await startGenServer(r, {
    init: () => 's',
    async terminate (reason: unknown, s: string, ctx: ProcessContext) { await ctx.yield(); seen.push([reason, s]) }
  }, undefined, { name: 'stoppable' })
  await stopServer(r, 'stoppable')
  assert.equal(seen, [['normal', 's']])
  assert.not.ok(r.isAlive(pid))
  const pid2 = await startGenServer(r, { init: () => 't', terminate (reason: unknown) { seen.push(reason) } }, undefined)
  await stopServer(r, pid2, { shutdown: 'maintenance' })
  assert.equal(seen[1], { shutdown: 'maintenance' })
})

test('stopServer: noproc for a missing server, the other reason when terminate fails, timeout when busy', async () => {
  const clock = new SimulatedClock()
  const r = rt(clock)
  const e1 = await rejects(stopServer(r, 'ghost'), CallExitError)
  assert.is(e1.reason, 'noproc')
  const dead = await startGenServer(r, counter, 0)
  await stopServer(r, dead)
  const e1b = await rejects(stopServer(r, dead), CallExitError)
  assert.is(e1b.reason, 'noproc')
  const bad = await startGenServer(r, { init: () => 0, terminate (): never { throw new Error('no cleanup') } }, undefined)
  const e2 = await rejects(stopServer(r, bad), CallExitError)
  assert.is((e2.reason as Error).message, 'no cleanup')
  const busy = await startGenServer(r, {
    init: () => 0,
    async handleCast (_m: unknown, s: number, ctx: ProcessContext) { await ctx.sleep(60_000); return noreply(s) }
  }, undefined)
  cast(r, busy, 'sleep')
  let outcome: unknown = 'pending'
  const p = rejects(stopServer(r, busy, 'normal', 1000), CallTimeoutError).then((e) => { outcome = e; return e })
  await clock.advance(999)
  assert.is(outcome, 'pending')
  await clock.advance(1)
  assert.instance(await p, CallTimeoutError)
  assert.ok(r.isAlive(busy))
})

test('a trapping server terminates on its parent\'s EXIT, with the parent\'s reason', async () => {
  const r = rt()
  const seen: unknown[][] = []
  const trapping: GenServer<string> = {
    init (_, ctx) { ctx.trapExit(true); return 'child' },
    handleInfo: (msg, s) => { seen.push(['info', msg]); return noreply(s) },
    terminate (reason, s) { seen.push(['terminate', reason, s]) }
  }
  let server: Pid | undefined
  const parent = r.spawn(async (ctx) => {
    server = await startGenServer(ctx, trapping, undefined, { link: true })
    await ctx.receive((m) => m === 'die')
    throw new Error('parent failed')
  })
  await until(() => server !== undefined, 'the server started')
  const exited = r.wait(server!)
  await settle()
  r.send(parent, 'die')
  const reason = await exited
  assert.is((reason as Error).message, 'parent failed')
  assert.equal(seen.length, 1)
  assert.is(seen[0][0], 'terminate')
  assert.is(seen[0][2], 'child')
})

test('a trapping server gets EXITs from other processes in handleInfo; parent shutdown signal terminates it', async () => {
  const r = rt()
  const seen: unknown[] = []
  const trapping: GenServer<null> = {
    init (_, ctx) { ctx.trapExit(true); return null },
    handleCall (req, _from, s, ctx) {
      if (req === 'link-crasher') ctx.spawnLink(async () => { throw new Error('sibling') })
      return reply('ok', s)
    },
    handleInfo: (msg, s) => { seen.push(isExitMessage(msg) ? ['exit', (msg.reason as Error).message] : msg); return noreply(s) },
    terminate (reason) { seen.push(['terminate', reason]) }
  }
  const outcome = await r.run(async (ctx) => {
    ctx.trapExit(true) // the server's exit comes back over the link
    const server = await startGenServer(ctx, trapping, undefined, { link: true })
    await call(ctx, server, 'link-crasher')
    await until(() => seen.length === 1, 'the EXIT handled')
    const mref = ctx.monitor(server)
    ctx.exit(server, 'shutdown')
    const down = await ctx.receive((m) => isDownMessage(m) && m.ref.equals(mref))
    return (down as { reason: unknown }).reason
  })
  assert.is(outcome, 'shutdown')
  assert.equal(seen, [['exit', 'sibling'], ['terminate', 'shutdown']])
})

test('an unlinked server treats its starter\'s EXIT like any other (no parent)', async () => {
  const r = rt()
  const seen: unknown[] = []
  let server: Pid | undefined
  await r.run(async (ctx) => {
    server = await startGenServer(ctx, {
      init (_: undefined, c: ProcessContext) { c.trapExit(true); return null },
      handleInfo: (msg: unknown, s: null) => { seen.push(msg); return noreply(s) }
    }, undefined)
    ctx.exit(server, 'shutdown')
  })
  await until(() => seen.length === 1, 'the EXIT handled')
  assert.ok(r.isAlive(server!))
  assert.is(seen.length, 1)
  assert.ok(isExitMessage(seen[0]))
})

test('a non-trapping server dies with its parent without terminate; kill skips terminate too', async () => {
  const r = rt()
  const seen: unknown[] = []
  const b: GenServer<null> = { init: () => null, terminate (reason) { seen.push(reason) } }
  let server: Pid | undefined
  const parent = r.spawn(async (ctx) => {
    server = await startGenServer(ctx, b, undefined, { link: true })
    await ctx.receive()
    ctx.exit('crash')
  })
  await until(() => server !== undefined, 'the server started')
  const exited = r.wait(server!)
  await settle()
  r.send(parent, 'go')
  assert.is(await exited, 'crash')
  const trapper = await startGenServer(r, { init (_: undefined, c: ProcessContext) { c.trapExit(true); return null }, terminate (reason: unknown) { seen.push(reason) } }, undefined)
  const killed = r.wait(trapper)
  await settle() // wait() monitors from a process of its own, once that runs
  r.exit(trapper, 'kill')
  assert.is(await killed, 'killed')
  assert.equal(seen, [])
})

test('cast to a name nobody holds does nothing: no throw, the caster lives on, nothing kept for a later holder', async () => {
  const log = memoryLogger()
  const r = createRuntime({ node: 'a@host', logger: log })
  cast(r, 'nobody', 'from outside')
  cast(r, { name: 'nobody', node: 'a@host' }, 'from outside')
  // Unlike a send to an unknown name, a cast never ends the caster (gen_server:cast always returns ok).
  const alive = await r.run(async (ctx) => {
    cast(ctx, 'nobody', 'from a process')
    cast(ctx, { name: 'nobody', node: 'a@host' }, 'from a process')
    await ctx.yield()
    return ctx.alive
  })
  assert.ok(alive, 'the casting process is still alive')
  const seen: unknown[] = []
  await startGenServer(r, {
    init: () => null,
    handleCast: (msg: unknown, s: null) => { seen.push(msg); return noreply(s) },
    handleCall: (_q: unknown, _f: From, s: null) => reply('ok', s)
  }, undefined, { name: 'nobody' })
  cast(r, 'nobody', 'after')
  await call(r, 'nobody', 'sync')
  assert.equal(seen, ['after'], 'the server that took the name got only the cast sent after')
  assert.equal(log.records.filter((x) => x.level === 'warn' || x.level === 'error').map((x) => x.msg), [], 'nothing crashed')
})

test.run()
