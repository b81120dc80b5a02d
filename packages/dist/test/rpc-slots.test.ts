// Remote calls leave nothing behind: after a reply, a timeout, an abort or
// the callee's node going down, the call's reply slot (`rpc.pendingCalls`)
// and its timeout (an entry of the runtime's timeout queue) are gone, and
// each failure has its own code. Two nodes in one process, real sockets.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { silentLogger, TimeoutQueue, type Runtime } from '@tekka/actors'
import { BadRpcError, startNode, type DistNode } from '../src/index.js'
import { freePortRange } from '@tekka/testing/ports'
import { eventually, rejects } from '@tekka/testing/wait'

let a: DistNode
let b: DistNode

test.before.each(async () => {
  const base = await freePortRange(3)
  a = await startNode({ name: 'a1@127.0.0.1', cookie: 'rs', basePort: base, logger: silentLogger() })
  b = await startNode({ name: 'b2@127.0.0.1', cookie: 'rs', basePort: base, logger: silentLogger() })
  b.register('echo', (x: unknown) => x)
  b.register('slow', async (ms: number) => await new Promise((resolve) => setTimeout(() => { resolve(ms) }, ms)))
})

test.after.each(async () => {
  await Promise.all([a.stop(), b.stop()])
})

/** Timeouts still armed on `rt` (the system clock's runtime has a TimeoutQueue). */
function liveTimeouts (rt: Runtime): number {
  assert.instance(rt.timeouts, TimeoutQueue)
  return (rt.timeouts as TimeoutQueue).live
}

test('replies: 2,000 calls in flight, every slot and timeout released', async () => {
  const xs = await Promise.all(Array.from({ length: 2000 }, async (_, i) => await a.call<number>(b.name, 'echo', [i])))
  assert.equal(xs, Array.from({ length: 2000 }, (_, i) => i))
  assert.is(a.rpc.pendingCalls, 0)
  assert.is(liveTimeouts(a.runtime), 0)
})

test('a timeout fails the call with ERR_RPC_TIMEOUT and frees its slot; the late reply is dropped', async () => {
  const err = await rejects(a.call(b.name, 'slow', [300], { timeout: 50 }), BadRpcError)
  assert.is(err.code, 'ERR_RPC_TIMEOUT')
  assert.match(err.message, /timed out after 50 ms/)
  assert.is(a.rpc.pendingCalls, 0)
  assert.is(liveTimeouts(a.runtime), 0)
  await new Promise((resolve) => setTimeout(resolve, 400)) // the reply comes, to no one
  assert.is(await a.call(b.name, 'echo', ['after']), 'after')
  assert.is(a.rpc.pendingCalls, 0)
})

test('an abort fails the call with ERR_RPC_ABORTED at once, and frees its slot and timeout', async () => {
  const ac = new AbortController()
  const call = a.call(b.name, 'slow', [2000], { signal: ac.signal, timeout: 10_000 })
  await eventually(() => { assert.is(a.rpc.pendingCalls, 1) })
  assert.is(liveTimeouts(a.runtime), 1)
  ac.abort()
  const err = await rejects(call, BadRpcError)
  assert.is(err.code, 'ERR_RPC_ABORTED')
  assert.is(a.rpc.pendingCalls, 0)
  assert.is(liveTimeouts(a.runtime), 0)
  const early = await rejects(a.call(b.name, 'echo', [1], { signal: ac.signal }), BadRpcError)
  assert.is(early.code, 'ERR_RPC_ABORTED')
  assert.is(a.rpc.pendingCalls, 0)
})

test('the callee\'s node going down fails every call to it with ERR_RPC_NODEDOWN and frees the slots', async () => {
  const calls = Array.from({ length: 50 }, async () => await rejects(a.call(b.name, 'slow', [5000]), BadRpcError))
  await eventually(() => { assert.is(a.rpc.pendingCalls, 50) })
  await b.stop()
  const errs = await Promise.all(calls)
  assert.equal([...new Set(errs.map((e) => e.code))], ['ERR_RPC_NODEDOWN'])
  assert.is(a.rpc.pendingCalls, 0)
  assert.is(liveTimeouts(a.runtime), 0)
})

test.run()
