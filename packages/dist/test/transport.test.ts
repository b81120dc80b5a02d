import { test } from 'uvu'
import * as assert from 'uvu/assert'
import type { Socket } from 'node:net'
import { BadArgError } from '@tekka/actors'
import { nodePort, parseNodeName, dial, PortInUseError, DialError, BadNodeNameError } from '../src/index.js'
import { listen } from '../src/transport.js'
import { DEFAULT_BASE_PORT } from '../src/defaults.js'
import { once } from './helpers/wire.js'
import { eventually } from '@tekka/testing/wait'

test('nodePort follows ekka_dist: base + trailing digits of the short name rem 60000', () => {
  assert.is(DEFAULT_BASE_PORT, 4370)
  assert.is(nodePort('node@127.0.0.1'), 4370)
  assert.is(nodePort('node1@127.0.0.1'), 4371)
  assert.is(nodePort('emqx12@host'), 4382)
  assert.is(nodePort('n2x3@host'), 4373)
  assert.is(nodePort('node@host99'), 4370, 'digits of the host do not count')
  assert.is(nodePort('node7'), 4377, 'a bare short name works, as in ekka')
  assert.is(nodePort('n60001@h'), 4371)
  assert.is(nodePort('n123456789012345678901234567890@h'), 4370 + Number(123456789012345678901234567890n % 60000n))
  assert.is(nodePort('node1@h', 5000), 5001)
  assert.is(nodePort('remsh@h'), 0, 'ekka remote shells never listen')
  assert.is(nodePort('remsh42@h'), 0)
  assert.throws(() => nodePort('node@h', 0), (e: unknown) => e instanceof BadArgError)
  assert.throws(() => nodePort('n59999@h', 10000), (e: unknown) => e instanceof BadArgError)
})

test('parseNodeName splits name@host and explains what is wrong', () => {
  assert.equal(parseNodeName('node1@127.0.0.1'), { name: 'node1@127.0.0.1', short: 'node1', host: '127.0.0.1' })
  assert.equal(parseNodeName('a_b-c@my-host.example.com').host, 'my-host.example.com')
  assert.equal(parseNodeName('n@::1').host, '::1')
  for (const [bad, why] of [['', /no @host/], ['node', /no @host/], ['@host', /empty name before @/], ['node@', /empty host after @/], ['a@b@c', /neither a hostname/],
    ['no de@h', /letters, digits/], ['n@host name', /neither a hostname/], ['n@.host', /neither a hostname/], ['x'.repeat(300) + '@h', /255/]] as Array<[string, RegExp]>) {
    try {
      parseNodeName(bad)
      assert.unreachable(bad)
    } catch (err) {
      assert.instance(err, BadNodeNameError)
      assert.is((err as BadNodeNameError).code, 'ERR_BAD_NODE_NAME')
      assert.match((err as Error).message, why)
    }
  }
})

test('listen and dial connect; close is idempotent and frees the port', async () => {
  const accepted: Socket[] = []
  const listener = await listen({ host: '127.0.0.1', port: 0, onConnection: (s) => { accepted.push(s) } })
  assert.ok(listener.port > 0)
  const socket = await dial({ host: '127.0.0.1', port: listener.port, timeout: 2000 })
  socket.write('ping')
  await eventually(() => accepted.length === 1)
  const [data] = await once<[Buffer]>(accepted[0], 'data')
  assert.is(data.toString(), 'ping')
  await listener.close()
  await listener.close()
  // The accepted socket outlives the listener: it belongs to its connection.
  assert.not.ok(accepted[0].destroyed)
  const again = await listen({ host: '127.0.0.1', port: listener.port, onConnection: () => {} })
  await again.close()
  socket.destroy()
  accepted[0].destroy()
})

test('a port in use is a PortInUseError naming host:port', async () => {
  const first = await listen({ host: '127.0.0.1', port: 0, onConnection: () => {} })
  try {
    await listen({ host: '127.0.0.1', port: first.port, onConnection: () => {} })
    assert.unreachable()
  } catch (err) {
    assert.instance(err, PortInUseError)
    assert.is((err as PortInUseError).code, 'ERR_PORT_IN_USE')
    assert.is((err as PortInUseError).port, first.port)
    assert.match((err as Error).message, new RegExp(`port ${first.port} on 127\\.0\\.0\\.1 is in use`))
  }
  await first.close()
})

test('dialling a closed port is a DialError naming host:port and the cause', async () => {
  const l = await listen({ host: '127.0.0.1', port: 0, onConnection: () => {} })
  await l.close()
  try {
    await dial({ host: '127.0.0.1', port: l.port, timeout: 2000 })
    assert.unreachable()
  } catch (err) {
    assert.instance(err, DialError)
    assert.is((err as DialError).code, 'ERR_DIAL')
    assert.match((err as Error).message, new RegExp(`127\\.0\\.0\\.1:${l.port}: ECONNREFUSED`))
  }
})

test('dial honours an abort signal', async () => {
  const ac = new AbortController()
  ac.abort()
  try {
    await dial({ host: '127.0.0.1', port: 1, signal: ac.signal })
    assert.unreachable()
  } catch (err) {
    assert.is((err as Error).name, 'AbortError')
  }
})

test('an onConnection that throws drops that socket, not the listener', async () => {
  let calls = 0
  const l = await listen({
    host: '127.0.0.1',
    port: 0,
    logger: (await import('@tekka/actors')).silentLogger(),
    onConnection: () => { calls++; throw new Error('bug') }
  })
  const s1 = await dial({ host: '127.0.0.1', port: l.port })
  await once(s1, 'close')
  const s2 = await dial({ host: '127.0.0.1', port: l.port })
  await once(s2, 'close')
  assert.is(calls, 2)
  await l.close()
})

test.run()
