// rpc:call and erpc:call from real erl (OTP 25, the test's own epmd) to
// functions a tekka node registered: results, an async function, undef for
// one not registered, a throw as badrpc, and other spawn requests refused
// with notsup (the node keeps serving).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Epmd, ErlNode } from '@tekka/testing/erl-node'
import { startErlangNode } from '../src/index.js'

const TK = 'tk@127.0.0.1'
let epmd: Epmd
const cleanups: Array<() => Promise<void>> = []

test.before(async () => { epmd = await Epmd.start() })
test.after.each(async () => { for (const c of cleanups.splice(0).reverse()) await c() })
test.after(async () => { await epmd.stop() })

test('rpc:call and erpc:call run registered functions; undef, a throw and other spawns answered as Erlang would', async () => {
  const e1 = await ErlNode.start({ name: 'e1@127.0.0.1', cookie: 'sesame', epmdPort: epmd.port })
  cleanups.push(async () => { await e1.stop() })
  const tk = await startErlangNode({ name: TK, cookie: 'sesame', epmdPort: epmd.port })
  cleanups.push(async () => { await tk.stop() })
  tk.registerRpc('m', 'add', (a, b) => (a as number) + (b as number))
  tk.registerRpc('m', 'later', async (x) => { await new Promise((resolve) => setTimeout(resolve, 50)); return [x, Buffer.from('done')] })
  tk.registerRpc('m', 'boom', () => { throw new Error('bad') })
  assert.is(await e1.eval(`rpc:call('${TK}', m, add, [1, 2])`), '{ok,3}')
  assert.is(await e1.eval(`rpc:call('${TK}', m, later, [{a, 1}])`), '{ok,[{a,1},<<100,111,110,101>>]}')
  assert.is(await e1.eval(`erpc:call('${TK}', m, add, [40, 2])`), '{ok,42}')
  assert.is(await e1.eval(`rpc:call('${TK}', m, nope, [1])`), '{ok,{badrpc,{\'EXIT\',{undef,[{m,nope,[1],[]}]}}}}')
  assert.is(await e1.eval(`rpc:call('${TK}', m, boom, [])`), '{ok,{badrpc,{\'EXIT\',{{tekka_error,<<98,97,100>>},[]}}}}')
  assert.is(await e1.eval(`{_, R} = spawn_monitor('${TK}', erlang, node, []), receive {'DOWN', R, _, _, X} -> X after 5000 -> timeout end`), '{error,error,notsup}')
  assert.is(await e1.eval(`rpc:call('${TK}', m, add, [2, 2])`), '{ok,4}')
  assert.throws(() => { tk.registerRpc('m', 'x', 5 as never) }, /needs a function/)
})

test.run()
