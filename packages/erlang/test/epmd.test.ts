// The epmd client against a real epmd (the test's own port): ALIVE2
// registration that lives while its socket is open, PORT_PLEASE2, NAMES,
// a taken name, an unknown name, and erl's own registration.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { eventually, rejects } from '@tekka/testing/wait'
import { Epmd, ErlNode } from '@tekka/testing/erl-node'
import { EpmdError, epmdNames, epmdPortPlease, epmdRegister, startErlDist } from '../src/index.js'

let epmd: Epmd
test.before(async () => { epmd = await Epmd.start() })
test.after(async () => { await epmd.stop() })

test('ALIVE2 registers a name with a 32-bit creation; PORT_PLEASE2 and NAMES see it while the socket is open, not after', async () => {
  const reg = await epmdRegister({ name: 'reg1', port: 23456, epmdPort: epmd.port })
  assert.ok(reg.open)
  assert.ok(Number.isInteger(reg.creation) && reg.creation > 0 && reg.creation <= 0xffffffff, String(reg.creation))
  const e = await epmdPortPlease('reg1', { epmdPort: epmd.port })
  assert.equal({ name: e.name, port: e.port, nodeType: e.nodeType, protocol: e.protocol, hi: e.highestVersion, lo: e.lowestVersion }, { name: 'reg1', port: 23456, nodeType: 'normal', protocol: 0, hi: 6, lo: 6 })
  const names = await epmdNames({ epmdPort: epmd.port })
  assert.is(names.epmdPort, epmd.port)
  assert.ok(names.names.some((n) => n.name === 'reg1' && n.port === 23456), JSON.stringify(names))
  await reg.close()
  assert.not.ok(reg.open)
  await eventually(async () => { await rejects(epmdPortPlease('reg1', { epmdPort: epmd.port }), EpmdError, 'no node named "reg1"'); return true }, { message: 'the name released' })
  await reg.close()
})

test('a hidden registration is type hidden', async () => {
  const reg = await epmdRegister({ name: 'hid', port: 23457, hidden: true, epmdPort: epmd.port })
  assert.is((await epmdPortPlease('hid', { epmdPort: epmd.port })).nodeType, 'hidden')
  await reg.close()
})

test('a taken name is refused with ERR_EPMD_NAME_TAKEN naming it; the holder keeps it', async () => {
  const reg = await epmdRegister({ name: 'taken', port: 23458, epmdPort: epmd.port })
  const err = await rejects(epmdRegister({ name: 'taken', port: 23459, epmdPort: epmd.port }), EpmdError, '"taken" is taken')
  assert.is(err.code, 'ERR_EPMD_NAME_TAKEN')
  assert.is((await epmdPortPlease('taken', { epmdPort: epmd.port })).port, 23458)
  await reg.close()
})

test('an unknown name: ERR_EPMD_NOT_FOUND naming it and the epmd', async () => {
  const err = await rejects(epmdPortPlease('nobody', { epmdPort: epmd.port }), EpmdError, 'no node named "nobody"', `127.0.0.1:${epmd.port}`)
  assert.is(err.code, 'ERR_EPMD_NOT_FOUND')
})

test('erl\'s own registration reads back: its port and version 6; a tekka node\'s goes when it stops', async () => {
  const e1 = await ErlNode.start({ name: 'e9@127.0.0.1', cookie: 'c', epmdPort: epmd.port })
  try {
    const e = await epmdPortPlease('e9', { epmdPort: epmd.port })
    assert.ok(e.port > 0)
    assert.is(e.highestVersion, 6)
  } finally {
    await e1.stop()
  }
  const tk = await startErlDist({ name: 'tk9@127.0.0.1', cookie: 'c', epmdPort: epmd.port })
  assert.is((await epmdPortPlease('tk9', { epmdPort: epmd.port })).port, tk.port)
  assert.is(tk.creation > 0, true)
  // The same name twice: the second node does not start.
  const err = await rejects(startErlDist({ name: 'tk9@127.0.0.1', cookie: 'c', epmdPort: epmd.port }), EpmdError, 'is taken')
  assert.is(err.code, 'ERR_EPMD_NAME_TAKEN')
  await tk.stop()
  await eventually(async () => { await rejects(epmdPortPlease('tk9', { epmdPort: epmd.port }), EpmdError); return true })
})

test.run()
