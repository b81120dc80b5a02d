// The Erlang test peer (/erlang): without erl a test fails naming the
// Debian package; an Erlang error comes back as ErlangEvalError and the
// peer keeps serving; a peer that dies fails its pending and later
// requests with TestServerError instead of hanging, and so does one not
// answered in time; stop() twice is fine.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { ErlangEvalError, ErlangPeer, TestServerError, requireErlang } from '../src/erlang.js'
import { MissingSystemError } from '../src/errors.js'
import { rejects } from '../src/wait.js'

test('without erl: MissingSystemError naming erlang-base', () => {
  const saved = process.env.TEKKA_ERL_BIN
  process.env.TEKKA_ERL_BIN = '/nonexistent/erl'
  try {
    assert.throws(() => requireErlang('the x tests'), (err: unknown) => err instanceof MissingSystemError && /the x tests needs the \/nonexistent\/erl command: install the Debian package erlang-base/.test(err.message))
  } finally {
    if (saved === undefined) delete process.env.TEKKA_ERL_BIN
    else process.env.TEKKA_ERL_BIN = saved
  }
})

test('answers, Erlang errors as ErlangEvalError (and it goes on serving), a death fails requests, stop twice', async () => {
  const erl = await ErlangPeer.start()
  try {
    assert.match(erl.otp, /^\d+$/)
    assert.equal(await erl.eval('<<1, 2>>'), Buffer.from([1, 2]))
    const err = await rejects(erl.eval('1 = 2'), ErlangEvalError)
    assert.match(err.message, 'badmatch')
    await rejects(erl.eval('not_a_binary'), ErlangEvalError, 'badmatch')
    assert.is(await erl.compare('ok', Buffer.from([131, 119, 2, 111, 107])), 'true')
    assert.match(await erl.compare('ok', Buffer.from([131, 97, 1])), /^false: ours 1, Erlang's ok/)
    assert.match(await erl.compare('ok', Buffer.from([1])), /^binary_to_term refused ours/)
    assert.is(await erl.decode(Buffer.from([131, 200])), undefined)
    assert.equal(await erl.decode(Buffer.from([131, 100, 0, 2, 111, 107])), Buffer.from([131, 100, 0, 2, 111, 107]))
    await erl.keep('{kept, 1}')
    assert.is(await erl.compare('Last', Buffer.from([131, 104, 2, 119, 4, 107, 101, 112, 116, 97, 1])), 'true')
    // A request in flight when erl dies (the loop answers one at a time: this one never will).
    const osPid = Number((await erl.eval('list_to_binary(os:getpid())')).toString())
    const pending = rejects(erl.eval('begin timer:sleep(60000), <<>> end'), TestServerError, 'erl exited')
    process.kill(osPid, 'SIGKILL')
    await pending
    await rejects(erl.eval('<<>>'), TestServerError, 'erl exited')
  } finally {
    await erl.stop()
    await erl.stop()
  }
})

test('a request not answered in requestTimeoutMs fails with TestServerError; later answers still match their requests', async () => {
  const erl = await ErlangPeer.start({ requestTimeoutMs: 2000 })
  try {
    await rejects(erl.eval('begin timer:sleep(3000), <<"late">> end'), TestServerError, "did not answer a 'e' request within 2000 ms")
    // Answered after the late one (about a second from now): that answer goes to the request that timed out, not to this one.
    assert.equal(await erl.eval('<<"next">>'), Buffer.from('next'))
  } finally {
    await erl.stop()
  }
})

test.run()
