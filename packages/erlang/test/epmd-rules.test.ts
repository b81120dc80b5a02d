// The epmd client's failure paths against hand-written servers (no erl):
// nothing listening, a wrong answer, a cut answer, silence, an abort; the
// old ALIVE2_RESP; the epmd port from ERL_EPMD_PORT; and ekka's port rule.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type Server, type Socket } from 'node:net'
import { BadArgError } from '@tekka/actors'
import { rejects } from '@tekka/testing/wait'
import { freePort } from '@tekka/testing/ports'
import { EpmdError, epmdNames, epmdPortOf, epmdPortPlease, epmdRegister, portRuleResolver } from '../src/index.js'

/** A fake epmd that answers each connection with `answer(request)` (then maybe closes). */
async function fake (answer: (req: Buffer, s: Socket) => void): Promise<{ port: number, server: Server, close: () => Promise<void> }> {
  const sockets = new Set<Socket>()
  const server = createServer((s) => {
    sockets.add(s)
    s.on('error', () => {})
    s.once('data', (d) => { answer(d.subarray(2), s) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  return { port, server, close: async () => { for (const s of sockets) s.destroy(); await new Promise<void>((resolve) => server.close(() => { resolve() })) } }
}

test('no epmd at that port: ERR_EPMD_UNREACHABLE saying how to start one', async () => {
  const port = await freePort()
  const err = await rejects(epmdPortPlease('x', { epmdPort: port }), EpmdError, `127.0.0.1:${port}`, 'not running', `epmd -port ${port} -daemon`)
  assert.is(err.code, 'ERR_EPMD_UNREACHABLE')
  await rejects(epmdRegister({ name: 'x', port: 1, epmdPort: port }), EpmdError, 'not running')
})

test('a wrong tag, a cut answer and silence are ERR_EPMD_PROTOCOL', async () => {
  const wrong = await fake((_r, s) => { s.end(Buffer.from([99, 0])) })
  const e1 = await rejects(epmdPortPlease('x', { epmdPort: wrong.port }), EpmdError, 'tag 99, not PORT2_RESP')
  assert.is(e1.code, 'ERR_EPMD_PROTOCOL')
  await wrong.close()
  const cut = await fake((_r, s) => { s.end(Buffer.from([119, 0, 0x12])) })
  await rejects(epmdPortPlease('x', { epmdPort: cut.port }), EpmdError, 'in the middle of its answer')
  await cut.close()
  const silent = await fake(() => {})
  const t0 = Date.now()
  await rejects(epmdPortPlease('x', { epmdPort: silent.port, timeout: 200 }), EpmdError, 'no answer to PORT_PLEASE2 of "x" within 200 ms')
  assert.ok(Date.now() - t0 >= 190)
  const ac = new AbortController()
  const p = epmdRegister({ name: 'x', port: 1, epmdPort: silent.port, signal: ac.signal })
  ac.abort(new Error('stop asking'))
  await rejects(p, Error, 'stop asking')
  await silent.close()
  const closes = await fake((_r, s) => { s.end() })
  await rejects(epmdRegister({ name: 'x', port: 1, epmdPort: closes.port }), EpmdError, 'closed the connection before answering ALIVE2')
  await closes.close()
  const badNames = await fake((_r, s) => { s.end(Buffer.concat([Buffer.from([0, 0, 0x11, 0x11]), Buffer.from('gibberish\n')])) })
  await rejects(epmdNames({ epmdPort: badNames.port }), EpmdError, 'NAMES line "gibberish"')
  await badNames.close()
})

test('the request bytes are epmd\'s: ALIVE2_REQ fields in order; the old ALIVE2_RESP gives a 16-bit creation', async () => {
  let seen: Buffer | undefined
  const old = await fake((r, s) => { seen = Buffer.from(r); s.write(Buffer.from([121, 0, 0x01, 0x02])) })
  const reg = await epmdRegister({ name: 'ab', port: 0x1234, epmdPort: old.port, extra: Buffer.from('z') })
  assert.is(reg.creation, 0x0102)
  assert.equal([...(seen ?? [])], [120, 0x12, 0x34, 77, 0, 0, 6, 0, 6, 0, 2, 97, 98, 0, 1, 122])
  await reg.close()
  await old.close()
})

test('bad arguments are refused before any request', async () => {
  await rejects(epmdPortPlease('a@b'), BadArgError, 'the part before @')
  await rejects(epmdRegister({ name: 'a', port: 70000 }), BadArgError, 'port must be an integer in 1..65535')
  assert.throws(() => epmdPortOf({}, { ERL_EPMD_PORT: 'x' }), /ERL_EPMD_PORT must be a port number/)
  assert.is(epmdPortOf({}, { ERL_EPMD_PORT: '14369' }), 14369)
  assert.is(epmdPortOf({}, {}), 4369)
  assert.is(epmdPortOf({ epmdPort: 5000 }, { ERL_EPMD_PORT: '14369' }), 5000)
})

test('ekka\'s port rule: base + trailing digits of the short name rem 60000; remsh* listens nowhere', async () => {
  const rule = portRuleResolver()
  assert.equal(await rule('node@127.0.0.1'), { host: '127.0.0.1', port: 4370, highestVersion: 6, lowestVersion: 6 })
  assert.is((await rule('emqx12@10.0.0.1')).port, 4382)
  assert.is((await rule('n60001@h')).port, 4371)
  assert.is((await portRuleResolver({ basePort: 20000 })('e5@h')).port, 20005)
  await rejects(rule('remsh1@h'), BadArgError, 'listens on no port')
  await rejects(rule('nohost'), Error, 'no @host')
  assert.throws(() => portRuleResolver({ basePort: 0 }), /basePort must be an integer/)
})

test.run()
