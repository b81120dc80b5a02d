import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect as netConnect, createServer, type Socket } from 'node:net'
import { connect as tlsConnect, type TLSSocket } from 'node:tls'
import { memoryLogger, silentLogger } from '@tekka/actors'
import { dial, clientHandshake, serverHandshake, Connection, DialError, type TlsOptions } from '../src/index.js'
import { listen } from '../src/transport.js'
import { makeCerts, type Certs } from '@tekka/testing/certs'
import { eventually, sleep, withTimeout } from '@tekka/testing/wait'
import { opts, once, settled } from './helpers/wire.js'

// makeCerts() fails this file, naming the Debian package, where openssl is missing.
const certs: Certs = makeCerts()
const tls: TlsOptions = { key: certs.key, cert: certs.cert, ca: certs.ca }

test('mutual TLS carries the handshake and a connection', async () => {
  let serverSide: Promise<Connection> | undefined
  const listener = await listen({
    host: '127.0.0.1',
    port: 0,
    tls,
    onConnection: (socket) => {
      assert.ok((socket as TLSSocket).authorized, 'the client certificate was verified')
      serverSide = serverHandshake(socket, opts('b@127.0.0.1')).then(({ peer, rest }) => new Connection(socket, { peer, rest, logger: silentLogger(), tickTime: 0 }))
    }
  })
  const socket = await dial({ host: '127.0.0.1', port: listener.port, tls, timeout: 3000 })
  assert.ok((socket as TLSSocket).authorized, 'the server certificate was verified')
  const { peer, rest } = await clientHandshake(socket, opts('a@127.0.0.1', { expectedName: 'b@127.0.0.1' }))
  assert.is(peer.name, 'b@127.0.0.1')
  const client = new Connection(socket, { peer, rest, logger: silentLogger(), tickTime: 0 })
  const server = await serverSide!
  void client.send({ over: 'tls' })
  const [msg] = await once<[unknown]>(server, 'message')
  assert.equal(msg, { over: 'tls' })
  void server.send('back')
  assert.equal((await once<[unknown]>(client, 'message'))[0], 'back')
  client.close()
  server.close()
  await listener.close()
})

async function refusedClient (connectOptions: Record<string, unknown>): Promise<void> {
  const logger = memoryLogger('tekka:dist:transport')
  let accepted = 0
  const listener = await listen({ host: '127.0.0.1', port: 0, tls, logger, onConnection: () => { accepted++ } })
  const socket: Socket = tlsConnect({ host: '127.0.0.1', port: listener.port, ca: certs.ca, ...connectOptions })
  socket.on('error', () => {})
  // TLS 1.3 completes the client's side before the server checks its certificate:
  // the refusal shows as a failed connect or as a dead socket in the cookie handshake.
  const outcome = await settled((async () => {
    await once(socket, 'secureConnect', 3000)
    return await clientHandshake(socket, opts('a@127.0.0.1'))
  })())
  assert.not.ok(outcome.ok, 'the client got nowhere')
  await sleep(50)
  assert.is(accepted, 0, 'the server never saw the connection')
  assert.ok(logger.records.some((r) => r.level === 'warn' && /refused a TLS client/.test(r.msg)))
  socket.destroy()
  await listener.close()
}

test('a client without a certificate is refused', async () => {
  await refusedClient({})
})

test('a client with a certificate from another CA is refused', async () => {
  await refusedClient({ key: certs.rogueKey, cert: certs.rogueCert })
})

test('a server with a certificate from another CA is refused by the dialler', async () => {
  const listener = await listen({ host: '127.0.0.1', port: 0, tls: { key: certs.rogueKey, cert: certs.rogueCert, ca: certs.ca }, logger: silentLogger(), onConnection: () => {} })
  const r = await settled(dial({ host: '127.0.0.1', port: listener.port, tls, timeout: 3000 }))
  assert.instance(r.error, DialError)
  assert.is((r.error as DialError).code, 'ERR_DIAL')
  await listener.close()
})

test('a TLS dial to a silent server times out', async () => {
  const server = createServer(() => {})
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as { port: number }).port
  const started = Date.now()
  const r = await settled(dial({ host: '127.0.0.1', port, tls, timeout: 200 }))
  assert.instance(r.error, DialError)
  assert.is((r.error as DialError).code, 'ERR_DIAL_TIMEOUT')
  assert.ok(Date.now() - started < 1500)
  server.close()
  server.unref()
})

test('pending TLS handshakes are capped: one more raw connection is closed unread (cap); a finished or failed TLS handshake frees its slot', async () => {
  const refused: string[] = []
  const accepted: Socket[] = []
  const listener = await listen({
    host: '127.0.0.1', port: 0, tls, logger: silentLogger(), maxPendingTls: 2,
    onRefused: (reason) => { refused.push(reason) },
    onConnection: (socket) => { accepted.push(socket) }
  })
  const raw = async (): Promise<{ socket: Socket, closed: Promise<void> }> => {
    const socket = netConnect({ host: '127.0.0.1', port: listener.port })
    socket.on('error', () => {})
    const closed = new Promise<void>((resolve) => { socket.once('close', () => { resolve() }) })
    await once(socket, 'connect', 3000)
    return { socket, closed }
  }
  const idle = [await raw(), await raw()]
  const third = await raw()
  try {
    await withTimeout(third.closed, 3000, 'the third raw connection closed by the cap')
    assert.equal(refused, ['cap'])
  } finally {
    for (const c of idle) c.socket.destroy()
  }
  // Freed by the close: two full TLS clients get in, one after the other while the first stays open.
  const clients: Socket[] = []
  await eventually(async () => {
    const s = await settled(dial({ host: '127.0.0.1', port: listener.port, tls, timeout: 3000 }))
    if (s.ok && s.value !== undefined) clients.push(s.value)
    return s.ok
  }, { timeout: 5000, message: 'a TLS client gets in once the idle ones are gone' })
  for (let i = 0; i < 3; i++) clients.push(await dial({ host: '127.0.0.1', port: listener.port, tls, timeout: 3000 }))
  await eventually(() => accepted.length === 4, { timeout: 3000, message: 'four accepted with a cap of two: a finished handshake frees its slot' })
  // A failed TLS handshake (no client certificate) frees its slot too, and is told as `tls`
  // (the idle sockets that went away before TLS got anywhere were told so too).
  const tlsFailures = (): number => refused.filter((r) => r === 'tls').length
  const caps = (): number => refused.filter((r) => r === 'cap').length
  const capsBefore = caps()
  for (let i = 0; i < 3; i++) {
    const before = tlsFailures()
    const bad = tlsConnect({ host: '127.0.0.1', port: listener.port, ca: certs.ca })
    bad.on('error', () => {})
    await eventually(() => tlsFailures() === before + 1, { timeout: 3000, message: `TLS failure ${i + 1} told` })
    bad.destroy()
  }
  assert.is(caps(), capsBefore, 'failed handshakes did not fill the slots')
  for (const c of [...clients, ...accepted]) c.destroy()
  await listener.close()
})

test.run()
