/**
 * The event stream: typed subscriptions by type and for all, the header
 * every event carries, subscribers that throw, the `tekka:event`
 * diagnostics channel, `nextEvent`, and the log as one reader (`logEvents`).
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as diagnosticsChannel from 'node:diagnostics_channel'
import {
  EVENT_CHANNEL, EventStream, SimulatedClock, TimeoutError, createRuntime, logEvents, memoryLogger, nextEvent,
  type TekkaEvent
} from '../src/index.js'
import { rejects } from '@tekka/testing/wait'

// Event types of this test only, merged in as every package merges its own.
declare module '../src/events.js' {
  interface TekkaEvents {
    'test.ping': { n: number }
    'test.pong': { n: number, note?: string }
  }
}

const stream = (clock = new SimulatedClock(1000)): EventStream => new EventStream('a@host', clock)

test('on(type) gets only that type; on([types]) gets each; subscribe gets every event; each returns its unsubscribe', () => {
  const ev = stream()
  const pings: number[] = []
  const both: string[] = []
  const all: string[] = []
  const offPing = ev.on('test.ping', (e) => { pings.push(e.n) })
  const offBoth = ev.on(['test.ping', 'test.pong'], (e) => { both.push(`${e.type} ${e.n}`) })
  const offAll = ev.subscribe((e) => { all.push(e.type) })
  ev.publish('test.ping', { n: 1 })
  ev.publish('test.pong', { n: 2 })
  ev.publish('supervisor.child', { supervisor: 's', id: 'c', event: 'restarted' })
  assert.equal(pings, [1])
  assert.equal(both, ['test.ping 1', 'test.pong 2'])
  assert.equal(all, ['test.ping', 'test.pong', 'supervisor.child'])
  offPing()
  offBoth()
  offAll()
  offAll() // twice is fine
  ev.publish('test.ping', { n: 3 })
  ev.publish('test.pong', { n: 4 })
  assert.equal(pings, [1])
  assert.equal(both, ['test.ping 1', 'test.pong 2'])
  assert.equal(all, ['test.ping', 'test.pong', 'supervisor.child'])
  assert.not.ok(ev.hasSubscribers)
})

test('unsubscribing one listener of a type leaves the others of that type', () => {
  const ev = stream()
  const a: number[] = []
  const b: number[] = []
  const offA = ev.on('test.ping', (e) => { a.push(e.n) })
  ev.on('test.ping', (e) => { b.push(e.n) })
  ev.publish('test.ping', { n: 1 })
  offA()
  ev.publish('test.ping', { n: 2 })
  assert.equal(a, [1])
  assert.equal(b, [1, 2])
})

test('every event carries its type, the observing node, its clock\'s time and its level (info by default), then the payload', async () => {
  const clock = new SimulatedClock(1000)
  const ev = stream(clock)
  const seen: TekkaEvent[] = []
  ev.subscribe((e) => { seen.push(e) })
  ev.publish('test.ping', { n: 1 })
  await clock.advance(250)
  ev.publish('test.pong', { n: 2, note: 'late' }, 'warn')
  assert.equal(seen, [
    { type: 'test.ping', node: 'a@host', time: 1000, level: 'info', n: 1 },
    { type: 'test.pong', node: 'a@host', time: 1250, level: 'warn', n: 2, note: 'late' }
  ])
})

test('a runtime\'s stream is its node\'s, on its clock', async () => {
  const clock = new SimulatedClock(5)
  const rt = createRuntime({ node: 'n1@host', clock, logger: memoryLogger() })
  assert.is(rt.events.node, 'n1@host')
  const got = nextEvent(rt.events, 'test.ping')
  await clock.advance(10)
  rt.events.publish('test.ping', { n: 7 })
  const e = await got
  assert.is(e.node, 'n1@host')
  assert.is(e.time, 15)
})

test('a subscriber that throws does not break publish nor the subscribers after it; onSubscriberError is told', () => {
  const ev = stream()
  const order: string[] = []
  const failures: Array<[string, string]> = []
  ev.onSubscriberError((err, e) => { failures.push([(err as Error).message, e.type]) })
  ev.on('test.ping', () => { order.push('typed before') })
  ev.on('test.ping', () => { throw new Error('typed subscriber broke') })
  ev.on('test.ping', () => { order.push('typed after') })
  ev.subscribe(() => { throw new Error('catch-all broke') })
  ev.subscribe(() => { order.push('catch-all after') })
  ev.publish('test.ping', { n: 1 })
  assert.equal(order, ['typed before', 'typed after', 'catch-all after'])
  assert.equal(failures, [['typed subscriber broke', 'test.ping'], ['catch-all broke', 'test.ping']])
  // Without an error handler (and with one that throws itself) publish still never throws.
  const bare = stream()
  bare.subscribe(() => { throw new Error('x') })
  bare.publish('test.ping', { n: 2 })
  bare.onSubscriberError(() => { throw new Error('handler broke too') })
  bare.publish('test.ping', { n: 3 })
})

test('every event also goes to the diagnostics channel tekka:event', () => {
  assert.is(EVENT_CHANNEL, 'tekka:event')
  const ev = stream()
  assert.not.ok(ev.hasSubscribers)
  const got: unknown[] = []
  const onMessage = (m: unknown): void => { got.push(m) }
  diagnosticsChannel.subscribe('tekka:event', onMessage)
  try {
    // The channel alone is a listener: events are built and sent for it.
    assert.ok(ev.hasSubscribers)
    ev.publish('test.ping', { n: 1 }, 'debug')
  } finally {
    diagnosticsChannel.unsubscribe('tekka:event', onMessage)
  }
  assert.equal(got, [{ type: 'test.ping', node: 'a@host', time: 1000, level: 'debug', n: 1 }])
  ev.publish('test.ping', { n: 2 })
  assert.is(got.length, 1)
})

test('nextEvent resolves with the first event of its type that match accepts, and unsubscribes', async () => {
  const ev = stream()
  const p = nextEvent(ev, 'test.ping', { match: (e) => e.n > 1 })
  ev.publish('test.pong', { n: 5 })
  ev.publish('test.ping', { n: 1 })
  ev.publish('test.ping', { n: 2 })
  ev.publish('test.ping', { n: 3 })
  const e = await p
  assert.is(e.type, 'test.ping')
  assert.is(e.n, 2)
  assert.not.ok(ev.hasSubscribers, 'no listener left behind')
  // Without match: the next one of the type.
  const q = nextEvent(ev, 'test.pong')
  ev.publish('test.pong', { n: 9 })
  assert.is((await q).n, 9)
})

test('nextEvent rejects with TimeoutError after timeout ms of the stream\'s clock, and when its signal aborts; no listener is left', async () => {
  const clock = new SimulatedClock(1000)
  const ev = stream(clock)
  let settled = false
  const waiting = rejects(nextEvent(ev, 'test.ping', { match: (e) => e.n === 42, timeout: 30 }), TimeoutError, /a test\.ping event did not happen within 30 ms/)
  void waiting.finally(() => { settled = true })
  await clock.advance(29)
  assert.not.ok(settled, 'still waiting 1 ms before its timeout')
  await clock.advance(1)
  const err = await waiting
  assert.is(err.code, 'ERR_TIMEOUT')
  assert.is(err.timeout, 30)
  assert.not.ok(ev.hasSubscribers)
  const ac = new AbortController()
  const p = nextEvent(ev, 'test.ping', { signal: ac.signal, timeout: 10_000 })
  ac.abort(new Error('no longer needed'))
  await rejects(p, Error, 'no longer needed')
  assert.not.ok(ev.hasSubscribers)
  await rejects(nextEvent(ev, 'test.ping', { signal: ac.signal }), Error, 'no longer needed')
})

test('logEvents writes each event at its level: message = type, fields = payload; a failing subscriber is logged', () => {
  const ev = stream()
  const log = memoryLogger('tekka:event')
  const off = logEvents(ev, log)
  ev.publish('test.ping', { n: 1 })
  ev.publish('test.pong', { n: 2, note: 'careful' }, 'warn')
  ev.publish('test.ping', { n: 3 }, 'error')
  ev.publish('test.ping', { n: 4 }, 'debug')
  assert.equal(log.records.map((r) => [r.level, r.name, r.msg, r.fields]), [
    ['info', 'tekka:event', 'test.ping', { n: 1 }],
    ['warn', 'tekka:event', 'test.pong', { n: 2, note: 'careful' }],
    ['error', 'tekka:event', 'test.ping', { n: 3 }],
    ['debug', 'tekka:event', 'test.ping', { n: 4 }]
  ])
  ev.on('test.ping', () => { throw new Error('reader broke') })
  ev.publish('test.ping', { n: 5 })
  const failed = log.records.find((r) => r.msg === 'event subscriber failed')
  assert.is(failed?.level, 'error')
  assert.is(failed?.fields?.event, 'test.ping')
  assert.is((failed?.fields?.error as Error).message, 'reader broke')
  off()
  const before = log.records.length
  ev.publish('test.ping', { n: 6 })
  assert.is(log.records.filter((r) => r.msg === 'test.ping').length, 4, 'no line for the event after the unsubscribe')
  // off() removes the error reporter too: the throwing subscriber's failure is no longer logged.
  assert.is(log.records.length, before)
})

test('a runtime logs its own events through its logger, as tekka:event', () => {
  const log = memoryLogger()
  const rt = createRuntime({ node: 'a@host', logger: log })
  rt.events.publish('test.ping', { n: 1 }, 'warn')
  const rec = log.records.find((r) => r.msg === 'test.ping')
  assert.is(rec?.name, 'tekka:event')
  assert.is(rec?.level, 'warn')
  assert.equal(rec?.fields, { n: 1 })
})

test.run()
