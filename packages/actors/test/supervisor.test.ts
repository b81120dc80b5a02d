import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  SimulatedClock, memoryLogger, settle, Pid, startSupervisor, startGenServer, whichChildren, countChildren, stopServer,
  StartError, BadArgError
} from '../src/index.js'
import type { ChildSpec, Strategy, ProcessContext } from '../src/index.js'
import { until } from '@tekka/testing/wait'
import { runtime, child, worker, exitWith, pidOf, pidsOf, watch } from './supervisor-fixtures.js'
import type { LogRecord, TekkaEvent } from '../src/index.js'

const isPid = (x: unknown): x is Pid => x instanceof Pid

/** The log lines of supervisor.child events (each event is its own log line: `logEvents`). */
const childLines = (records: LogRecord[], event: string): LogRecord[] =>
  records.filter((x) => x.name === 'tekka:event' && x.msg === 'supervisor.child' && x.fields?.event === event)

test('starts children in order, links to each and traps exits', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { strategy: 'one_for_one', children: ['a', 'b', 'c'].map((id) => child(events, id)) })
  assert.equal(events, ['start a', 'start b', 'start c'])
  const kids = await whichChildren(r, sup)
  assert.equal(kids.map((k) => [k.id, k.type, k.restart]), [['a', 'worker', 'permanent'], ['b', 'worker', 'permanent'], ['c', 'worker', 'permanent']])
  const info = r.processInfo(sup)!
  assert.ok(info.trapExit)
  for (const k of kids) {
    assert.ok(isPid(k.pid) && r.isAlive(k.pid))
    assert.ok(info.links.some((l) => l.equals(k.pid)))
  }
  assert.equal(await countChildren(r, sup), { specs: 3, active: 3, supervisors: 0, workers: 3 })
})

test('restarts and the intensity limit are published as supervisor.child events, each with its level', async () => {
  const r = runtime()
  const seen: Array<TekkaEvent<'supervisor.child'>> = []
  const off = r.events.on('supervisor.child', (e) => { seen.push(e) })
  const events: string[] = []
  const sup = await startSupervisor(r, { strategy: 'one_for_one', intensity: 1, period: 60_000, children: [child(events, 'a', { trap: true })] }, { name: 'top' })
  const first = await pidOf(r, sup, 'a') as Pid
  exitWith(r, first, 'boom')
  await until(() => seen.some((e) => e.event === 'restarted'), 'restart published')
  assert.equal(seen.map((e) => [e.supervisor, e.id, e.event, e.level]), [['top', 'a', 'exited', 'error'], ['top', 'a', 'restarted', 'info']])
  assert.is(seen[0].node, 'a@host')
  assert.is(seen[0].reason, 'boom')
  assert.is(seen[0].restart, true)
  assert.is(seen[0].pid, first.toString())
  const second = await pidOf(r, sup, 'a') as Pid
  assert.is(seen[1].pid, second.toString())
  exitWith(r, second, 'boom again')
  await until(() => seen.some((e) => e.event === 'intensity'), 'intensity published')
  assert.equal(seen.slice(2).map((e) => [e.id, e.event, e.reason, e.level]), [['a', 'exited', 'boom again', 'error'], ['a', 'intensity', 'boom again', 'error']])
  assert.is(seen[3].intensity, 1)
  assert.is(seen[3].period, 60_000)
  off()
})

test('a child exiting normally is published at debug level, and not restarted when transient', async () => {
  const r = runtime()
  const seen: Array<TekkaEvent<'supervisor.child'>> = []
  r.events.on('supervisor.child', (e) => { seen.push(e) })
  const events: string[] = []
  const sup = await startSupervisor(r, { children: [child(events, 't', { restart: 'transient' })] })
  exitWith(r, await pidOf(r, sup, 't') as Pid, 'normal')
  await until(() => seen.length === 1, 'the exit published')
  await settle()
  assert.equal(seen.map((e) => [e.id, e.event, e.reason, e.restart, e.level]), [['t', 'exited', 'normal', false, 'debug']])
})

test('one_for_one restarts only the child that failed', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { strategy: 'one_for_one', intensity: 5, children: ['a', 'b', 'c'].map((id) => child(events, id, { trap: true })) })
  const before = await pidsOf(r, sup)
  events.length = 0
  exitWith(r, before.b as Pid, 'boom')
  await until(async () => { const p = await pidOf(r, sup, 'b'); return isPid(p) && !p.equals(before.b) }, 'b restarted')
  const after = await pidsOf(r, sup)
  assert.ok((after.a as Pid).equals(before.a))
  assert.ok((after.c as Pid).equals(before.c))
  assert.not.ok(r.isAlive(before.b as Pid))
  assert.ok(r.isAlive(after.b as Pid))
  assert.equal(events, ['stop b boom', 'start b'])
})

async function strategyRun (strategy: Strategy): Promise<{ events: string[], before: Record<string, unknown>, after: Record<string, unknown> }> {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { strategy, intensity: 5, children: ['a', 'b', 'c', 'd'].map((id) => child(events, id, { trap: true })) })
  const before = await pidsOf(r, sup)
  events.length = 0
  exitWith(r, before.b as Pid, 'boom')
  await until(() => events.includes('start d') || (strategy === 'one_for_one' && events.includes('start b')), 'restart')
  await settle()
  const after = await pidsOf(r, sup)
  for (const p of Object.values(after)) assert.ok(isPid(p) && r.isAlive(p))
  return { events, before, after }
}

const same = (a: unknown, b: unknown): boolean => isPid(a) && isPid(b) && a.equals(b)

test('one_for_all stops the others in reverse start order, then starts all in start order', async () => {
  const { events, before, after } = await strategyRun('one_for_all')
  assert.equal(events, ['stop b boom', 'stop d shutdown', 'stop c shutdown', 'stop a shutdown', 'start a', 'start b', 'start c', 'start d'])
  for (const id of ['a', 'b', 'c', 'd']) assert.not.ok(same(before[id], after[id]), id)
})

test('rest_for_one restarts the failed child and the ones started after it', async () => {
  const { events, before, after } = await strategyRun('rest_for_one')
  assert.equal(events, ['stop b boom', 'stop d shutdown', 'stop c shutdown', 'start b', 'start c', 'start d'])
  assert.ok(same(before.a, after.a))
  for (const id of ['b', 'c', 'd']) assert.not.ok(same(before[id], after[id]), id)
})

test('rest_for_one: the last child failing restarts only itself', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { strategy: 'rest_for_one', intensity: 5, children: ['a', 'b', 'c'].map((id) => child(events, id, { trap: true })) })
  const before = await pidsOf(r, sup)
  events.length = 0
  exitWith(r, before.c as Pid, 'boom')
  await until(() => events.includes('start c'))
  assert.equal(events, ['stop c boom', 'start c'])
})

const CASES: Array<{ restart: 'permanent' | 'transient' | 'temporary', reason: unknown, restarted: boolean, kept: boolean }> = [
  { restart: 'permanent', reason: 'normal', restarted: true, kept: true },
  { restart: 'permanent', reason: 'shutdown', restarted: true, kept: true },
  { restart: 'permanent', reason: 'boom', restarted: true, kept: true },
  { restart: 'transient', reason: 'normal', restarted: false, kept: true },
  { restart: 'transient', reason: 'shutdown', restarted: false, kept: true },
  { restart: 'transient', reason: { shutdown: 'done' }, restarted: false, kept: true },
  { restart: 'transient', reason: 'boom', restarted: true, kept: true },
  { restart: 'transient', reason: new Error('crash'), restarted: true, kept: true },
  { restart: 'temporary', reason: 'normal', restarted: false, kept: false },
  { restart: 'temporary', reason: 'boom', restarted: false, kept: false }
]

for (const c of CASES) {
  const label = c.reason instanceof Error ? 'an Error' : JSON.stringify(c.reason)
  test(`${c.restart} child exiting with ${label} is ${c.restarted ? '' : 'not '}restarted`, async () => {
    const r = runtime()
    const events: string[] = []
    const sup = await startSupervisor(r, { intensity: 10, children: [child(events, 'w', { restart: c.restart }), child(events, 'other')] })
    const old = await pidOf(r, sup, 'w') as Pid
    exitWith(r, old, c.reason)
    await until(async () => !same(await pidOf(r, sup, 'w'), old), 'the exit handled')
    await settle()
    const kids = await whichChildren(r, sup)
    const w = kids.find((k) => k.id === 'w')
    assert.is(w !== undefined, c.kept, 'spec kept')
    if (c.restarted) {
      assert.ok(isPid(w?.pid) && r.isAlive(w.pid) && !w.pid.equals(old))
      assert.equal(events.filter((e) => e === 'start w').length, 2)
    } else {
      if (w !== undefined) assert.is(w.pid, undefined)
      assert.equal(events.filter((e) => e === 'start w').length, 1)
    }
    assert.ok(r.isAlive(sup))
    assert.equal(events.filter((e) => e === 'start other').length, 1)
  })
}

test('one_for_all stops temporary siblings and does not start them again', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, {
    strategy: 'one_for_all',
    intensity: 5,
    children: [child(events, 't', { restart: 'temporary', trap: true }), child(events, 'p', { trap: true })]
  })
  events.length = 0
  exitWith(r, await pidOf(r, sup, 'p') as Pid, 'boom')
  await until(() => events.includes('start p'))
  assert.equal(events, ['stop p boom', 'stop t shutdown', 'start p'])
  assert.equal((await whichChildren(r, sup)).map((k) => k.id), ['p'])
})

test('more than intensity restarts within period: children stopped, supervisor exits shutdown (simulated clock)', async () => {
  const clock = new SimulatedClock()
  const log = memoryLogger()
  const r = runtime({ clock, logger: log })
  const events: string[] = []
  const sup = await startSupervisor(r, { intensity: 2, period: 5000, children: [child(events, 'a', { trap: true }), child(events, 'b', { trap: true })] })
  const { exited } = await watch(r, sup)
  const b = await pidOf(r, sup, 'b') as Pid
  for (let i = 0; i < 2; i++) {
    const a = await pidOf(r, sup, 'a') as Pid
    exitWith(r, a, `boom${i}`)
    await until(async () => !same(await pidOf(r, sup, 'a'), a), 'a restarted')
    await clock.advance(1000)
  }
  assert.ok(r.isAlive(sup))
  const a = await pidOf(r, sup, 'a') as Pid
  exitWith(r, a, 'boom2')
  assert.is(await exited, 'shutdown')
  assert.not.ok(r.isAlive(a))
  assert.not.ok(r.isAlive(b))
  assert.equal(events.slice(-2), ['stop a boom2', 'stop b shutdown'])
  const [rec] = childLines(log.records, 'intensity')
  assert.ok(rec !== undefined, 'the intensity event is logged')
  assert.is(rec.level, 'error')
  assert.is(rec.fields?.id, 'a')
  assert.is(rec.fields?.reason, 'boom2')
  assert.is(rec.fields?.intensity, 2)
  assert.is(rec.fields?.period, 5000)
})

test('restarts spread over more than period do not exhaust the intensity', async () => {
  const clock = new SimulatedClock()
  const r = runtime({ clock })
  const events: string[] = []
  const sup = await startSupervisor(r, { intensity: 1, period: 5000, children: [child(events, 'a')] })
  const crash = async (): Promise<void> => {
    const a = await pidOf(r, sup, 'a') as Pid
    exitWith(r, a, 'boom')
    await until(async () => !r.isAlive(sup) || !same(await pidOf(r, sup, 'a'), a), 'a restarted')
  }
  for (let i = 0; i < 4; i++) {
    await crash()
    assert.ok(r.isAlive(sup), `alive after crash ${i}`)
    await clock.advance(5001)
  }
  assert.equal(events.filter((e) => e === 'start a').length, 5)
  // The same two failures close together do exhaust it.
  const { exited } = await watch(r, sup)
  await crash()
  await clock.advance(4999)
  await crash()
  assert.is(await exited, 'shutdown')
})

test('intensity 0: the first restart shuts the supervisor down', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { intensity: 0, children: [child(events, 'a'), child(events, 'b', { restart: 'temporary' })] })
  const { exited } = await watch(r, sup)
  // A temporary child's exit is not a restart.
  exitWith(r, await pidOf(r, sup, 'b') as Pid, 'boom')
  await until(async () => (await whichChildren(r, sup)).length === 1)
  exitWith(r, await pidOf(r, sup, 'a') as Pid, 'boom')
  assert.is(await exited, 'shutdown')
})

test('each restart is logged with the child id and reason', async () => {
  const log = memoryLogger()
  const r = runtime({ logger: log })
  const events: string[] = []
  const sup = await startSupervisor(r, { intensity: 5, children: [child(events, 'a')] }, { name: 'top' })
  const a = await pidOf(r, sup, 'a') as Pid
  r.send(a, 'ignored')
  exitWith(r, a, { reason: 'bad state' })
  await until(() => events.filter((e) => e === 'start a').length === 2)
  const [rec] = childLines(log.records, 'exited')
  assert.ok(rec !== undefined, 'the exit is logged')
  assert.is(rec.level, 'error')
  assert.is(rec.fields?.id, 'a')
  assert.is(rec.fields?.supervisor, 'top')
  assert.is(rec.fields?.restart, true)
  assert.equal(rec.fields?.reason, { reason: 'bad state' })
  const [restarted] = childLines(log.records, 'restarted')
  assert.is(restarted?.level, 'info')
  assert.is(restarted?.fields?.id, 'a')
  assert.is(restarted?.fields?.pid, String(await pidOf(r, sup, 'a')))
})

test('a child that fails to start fails the supervisor; children already started are shut down in reverse', async () => {
  const r = runtime()
  const events: string[] = []
  const boom = new Error('c broke')
  const failing: ChildSpec = {
    id: 'c',
    start: (ctx: ProcessContext) => startGenServer(ctx, { init (): never { throw boom } }, undefined, { link: true })
  }
  let err: unknown
  try {
    await startSupervisor(r, { children: [child(events, 'a', { trap: true }), child(events, 'b', { trap: true }), failing, child(events, 'd')] }, { name: 'sup' })
  } catch (e) {
    err = e
  }
  assert.instance(err, StartError)
  assert.equal((err as StartError).reason, { shutdown: { failedToStartChild: 'c', reason: boom } })
  assert.is(((err as StartError).reason as { shutdown: { reason: unknown } }).shutdown.reason, boom)
  assert.match((err as StartError).message, 'c broke')
  assert.equal(events, ['start a', 'start b', 'stop b shutdown', 'stop a shutdown'])
  assert.is(r.whereis('sup'), undefined)
  // No child left behind.
  await until(() => r.processCount === 0, 'every process gone')
})

test('a start function that throws, or returns something else than a pid, is a failed start', async () => {
  const r = runtime()
  const e1 = await startSupervisor(r, { children: [{ id: 'x', start: () => { throw new TypeError('no') } }] }).catch((e: unknown) => e)
  assert.instance(e1, StartError)
  assert.instance(((e1 as StartError).reason as { shutdown: { reason: unknown } }).shutdown.reason, TypeError)
  const e2 = await startSupervisor(r, { children: [{ id: 'x', start: () => 'pid?' as unknown as Pid }] }).catch((e: unknown) => e)
  assert.instance(e2, StartError)
})

test('invalid specs are refused with BadArgError before anything starts', async () => {
  const r = runtime()
  const events: string[] = []
  const bad: unknown[] = [
    { strategy: 'simple_one_for_one' },
    { intensity: -1 },
    { period: 0 },
    { children: [child(events, 'a'), child(events, 'a')] },
    { children: [{ id: 'a' }] },
    { children: [{ id: '', start: () => undefined }] },
    { children: [{ ...child(events, 'a'), restart: 'sometimes' }] },
    { children: [{ ...child(events, 'a'), shutdown: -5 }] },
    { children: [{ ...child(events, 'a'), type: 'thing' }] }
  ]
  for (const spec of bad) {
    const err = await startSupervisor(r, spec as never).catch((e: unknown) => e)
    assert.instance(err, BadArgError, JSON.stringify(spec))
  }
  assert.equal(events, [])
})

test('a start returning undefined is ignored: the spec is kept without a process (temporary ones are dropped)', async () => {
  const r = runtime()
  const sup = await startSupervisor(r, {
    children: [{ id: 'i', start: () => undefined }, { id: 't', restart: 'temporary', start: () => undefined }]
  })
  const kids = await whichChildren(r, sup)
  assert.equal(kids.map((k) => [k.id, k.pid]), [['i', undefined]])
  assert.equal(await countChildren(r, sup), { specs: 1, active: 0, supervisors: 0, workers: 1 })
})

test('an EXIT from a process that is not a child is ignored', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { intensity: 0, children: [child(events, 'a')] })
  const stranger = r.spawn(async (ctx) => { ctx.link(sup); await ctx.yield(); throw new Error('stranger') })
  await until(() => !r.isAlive(stranger), 'the stranger gone')
  await settle()
  assert.ok(r.isAlive(sup))
  assert.equal(events, ['start a'])
})

test('a failed restart is retried through the mailbox, and every attempt counts toward the intensity', async () => {
  const log = memoryLogger()
  const r = runtime({ logger: log })
  const events: string[] = []
  let attempts = 0
  let failFrom = Infinity
  let failUntil = 0
  const flaky: ChildSpec = {
    id: 'f',
    start: (ctx: ProcessContext) => {
      attempts++
      if (attempts >= failFrom && attempts <= failUntil) throw new Error(`attempt ${attempts}`)
      return startGenServer(ctx, worker(events, 'f'), undefined, { link: true })
    }
  }
  // Attempts 2 and 3 fail, 4 succeeds: three restarts, within an intensity of 3.
  failFrom = 2; failUntil = 3
  const sup = await startSupervisor(r, { intensity: 3, children: [flaky] })
  exitWith(r, await pidOf(r, sup, 'f') as Pid, 'boom')
  await until(() => attempts === 4 && events.filter((e) => e === 'start f').length === 2, 'recovered')
  assert.ok(isPid(await pidOf(r, sup, 'f')))
  assert.ok(r.isAlive(sup))
  // Failing for good: the supervisor gives up.
  attempts = 0; failFrom = 2; failUntil = Infinity
  const sup2 = await startSupervisor(r, { intensity: 3, children: [flaky] })
  const { exited } = await watch(r, sup2)
  exitWith(r, await pidOf(r, sup2, 'f') as Pid, 'boom')
  assert.is(await exited, 'shutdown')
  assert.is(attempts, 4) // the first start, then one restart per intensity unit
  const [rec] = childLines(log.records, 'intensity')
  assert.is((rec?.fields?.reason as Error).message, 'attempt 4')
  assert.is(childLines(log.records, 'restart_failed').length, 5, 'attempts 2 and 3 of the first supervisor, 2 to 4 of the second')
})

test('nested supervisors: a child supervisor exhausting its intensity is one failure for its parent', async () => {
  const clock = new SimulatedClock()
  const log = memoryLogger()
  const r = runtime({ clock, logger: log })
  const events: string[] = []
  const top = await startSupervisor(r, {
    intensity: 1,
    period: 5000,
    children: [
      {
        id: 'sub',
        type: 'supervisor',
        start: (ctx: ProcessContext) => startSupervisor(ctx, { intensity: 0, children: [child(events, 'w', { trap: true })] }, { link: true })
      },
      child(events, 'x', { trap: true })
    ]
  })
  const { exited } = await watch(r, top)
  const kids = await whichChildren(r, top)
  assert.equal(kids.map((k) => [k.id, k.type]), [['sub', 'supervisor'], ['x', 'worker']])
  assert.equal(await countChildren(r, top), { specs: 2, active: 2, supervisors: 1, workers: 1 })
  const sub1 = await pidOf(r, top, 'sub') as Pid
  const x = await pidOf(r, top, 'x') as Pid
  events.length = 0
  exitWith(r, await pidOf(r, sub1, 'w') as Pid, 'boom')
  await until(async () => !same(await pidOf(r, top, 'sub'), sub1), 'sub restarted')
  assert.not.ok(r.isAlive(sub1))
  assert.ok(same(await pidOf(r, top, 'x'), x))
  assert.equal(events, ['stop w boom', 'start w'])
  const parentRec = childLines(log.records, 'exited').find((rec) => rec.fields?.id === 'sub')
  assert.is(parentRec?.fields?.reason, 'shutdown')
  // A second exhaustion within the period exceeds the parent's intensity of 1.
  await clock.advance(1000)
  const sub2 = await pidOf(r, top, 'sub') as Pid
  exitWith(r, await pidOf(r, sub2, 'w') as Pid, 'boom')
  assert.is(await exited, 'shutdown')
  assert.not.ok(r.isAlive(sub2))
  assert.not.ok(r.isAlive(x))
  assert.equal(events.slice(-2), ['stop w boom', 'stop x shutdown'])
})

test('a supervisor is a GenServer: stopServer stops it and its children', async () => {
  const r = runtime()
  const events: string[] = []
  const sup = await startSupervisor(r, { children: [child(events, 'a', { trap: true })] }, { name: 'named' })
  assert.ok(r.whereis('named')?.equals(sup))
  await stopServer(r, 'named', 'shutdown')
  assert.equal(events, ['start a', 'stop a shutdown'])
  await until(() => r.processCount === 0, 'every process gone')
})

test.run()
