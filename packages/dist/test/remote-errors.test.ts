// Errors cross a real link (two nodes, TCP on loopback) as themselves: an
// actors error, a dist error and an app's own TekkaError subclass
// (registered with registerErrors) come back as instances of their class,
// with their code, fields, message and stack — thrown by an RPC function,
// and as the exit reason of a linked or monitored process.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  CallTimeoutError, NameTakenError, TekkaError, isDownMessage, isExitMessage, silentLogger,
  type DownMessage, type ExitMessage, type Pid
} from '@tekka/actors'
import { BadRpcError, JoinError, startNode, type DistNode } from '../src/index.js'
import { freePortRange } from '@tekka/testing/ports'
import { rejects, withTimeout } from '@tekka/testing/wait'
import { OrderRejectedError } from './fixtures/errors.js'

let a: DistNode
let b: DistNode

test.before(async () => {
  const base = await freePortRange(3)
  a = await startNode({ name: 'a1@127.0.0.1', cookie: 're', basePort: base, logger: silentLogger() })
  b = await startNode({ name: 'b2@127.0.0.1', cookie: 're', basePort: base, logger: silentLogger() })
})

test.after(async () => {
  await a?.stop()
  await b?.stop()
})

/** One error of each kind, with the fields that must survive; `check` asserts them on what arrived. */
const KINDS: Array<{ kind: string, make: () => TekkaError, check: (e: unknown) => void }> = [
  {
    kind: 'actors (CallTimeoutError)',
    make: () => new CallTimeoutError('inventory', 250),
    check: (e) => {
      assert.instance(e, CallTimeoutError)
      assert.is((e as CallTimeoutError).code, 'ERR_CALL_TIMEOUT')
      assert.is((e as CallTimeoutError).timeout, 250)
    }
  },
  {
    kind: 'actors (NameTakenError)',
    make: () => new NameTakenError('billing'),
    check: (e) => {
      assert.instance(e, NameTakenError)
      assert.is((e as NameTakenError).code, 'ERR_NAME_TAKEN')
      assert.is((e as NameTakenError).registeredName, 'billing')
    }
  },
  {
    kind: 'dist (JoinError)',
    make: () => new JoinError('ERR_JOIN_REFUSED', 'c3@127.0.0.1', 'c3 refused the join'),
    check: (e) => {
      assert.instance(e, JoinError)
      assert.is((e as JoinError).code, 'ERR_JOIN_REFUSED')
      assert.is((e as JoinError).node, 'c3@127.0.0.1')
    }
  },
  {
    kind: 'user (OrderRejectedError, registered by the app)',
    make: () => new OrderRejectedError(42, { reason: 'out of stock', items: ['apple', 'pear'] }),
    check: (e) => {
      assert.instance(e, OrderRejectedError)
      assert.is((e as OrderRejectedError).code, 'ERR_ORDER_REJECTED')
      assert.is((e as OrderRejectedError).order, 42)
      assert.equal((e as OrderRejectedError).why, { reason: 'out of stock', items: ['apple', 'pear'] })
    }
  }
]

/** What every rebuilt error keeps of the one that was thrown. */
function sameError (got: unknown, sent: TekkaError, label: string): void {
  assert.instance(got, TekkaError, label)
  assert.ok(got !== sent, `${label}: a copy that crossed the wire, not the thrown object`)
  const e = got as TekkaError
  assert.is(e.name, sent.name, label)
  assert.is(e.message, sent.message, label)
  assert.is(e.code, sent.code, label)
  assert.is(e.stack, sent.stack, `${label}: the callee's stack`)
}

test('an RPC function that throws: the caller gets BadRpcError with the thrown error, as its class, as `remote` and `cause`', async () => {
  for (const { kind, make, check } of KINDS) {
    let thrown: TekkaError | undefined
    b.register('test.fail', () => { thrown = make(); throw thrown })
    const err = await rejects(a.call(b.name, 'test.fail'), BadRpcError, `threw ${make().name}: ${make().message}`)
    assert.is(err.code, 'ERR_RPC_EXCEPTION', kind)
    assert.ok(a.nodes().includes(b.name), `${kind}: the call went over the link`)
    check(err.remote)
    sameError(err.remote, thrown!, kind)
    assert.is(err.cause, err.remote, `${kind}: the remote error is the cause`)
  }
})

/** A process on b that waits for any message, then throws `err` (its exit reason). */
function crasher (err: () => Error): Pid {
  return b.spawn(async (ctx) => {
    await ctx.receive()
    throw err()
  })
}

test('the exit reason of a linked process on the other node: EXIT with the error as its class', async () => {
  for (const { kind, make, check } of KINDS) {
    let thrown: TekkaError | undefined
    const target = crasher(() => { thrown = make(); return thrown })
    const exit = await withTimeout(a.run(async (ctx) => {
      ctx.trapExit(true)
      ctx.link(target)
      // The link signal goes first on the same stream, then the trigger.
      ctx.send(target, 'go')
      return await ctx.receive((m): m is ExitMessage => isExitMessage(m) && m.from.equals(target))
    }), 5000, `EXIT from ${kind}`)
    check(exit.reason)
    sameError(exit.reason, thrown!, kind)
  }
})

test('the exit reason of a monitored process on the other node: DOWN with the error as its class', async () => {
  for (const { kind, make, check } of KINDS) {
    let thrown: TekkaError | undefined
    const target = crasher(() => { thrown = make(); return thrown })
    const down = await withTimeout(a.run(async (ctx) => {
      const ref = ctx.monitor(target)
      ctx.send(target, 'go')
      return await ctx.receive((m): m is DownMessage => isDownMessage(m) && m.ref.equals(ref))
    }), 5000, `DOWN from ${kind}`)
    check(down.reason)
    sameError(down.reason, thrown!, kind)
  }
})

test.run()
