// Free ports on loopback addresses: bindable, distinct, consecutive when asked.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type Server } from 'node:net'
import { freePort, freePortRange, freePorts, portBand } from '../src/ports.js'
import { TestConfigError } from '../src/errors.js'
import { rejects } from '../src/wait.js'
import { BadArgError } from '@tekka/actors'

async function bind (host: string, port: number): Promise<Server> {
  return await new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen({ host, port, exclusive: true }, () => { resolve(s) })
  })
}

test('freePort: a bindable port on the given loopback address, never the same twice', async () => {
  const ports = await freePorts(5, '127.0.0.2')
  assert.is(new Set(ports).size, 5)
  for (const p of ports) (await bind('127.0.0.2', p)).close()
  assert.ok((await freePort()) > 0)
})

test('freePortRange: consecutive ports free on every host, below the ephemeral range', async () => {
  const base = await freePortRange(3, ['127.0.0.2', '127.0.0.3'])
  assert.ok(base >= 20000 && base + 2 < 30000)
  const servers: Server[] = []
  for (const h of ['127.0.0.2', '127.0.0.3']) for (let p = base; p < base + 3; p++) servers.push(await bind(h, p))
  for (const s of servers) s.close()
})

test('freePort: refuses what is not an IP address; freePorts a bad count', async () => {
  const err = await rejects(freePort('localhost'), BadArgError, 'not an IP address')
  assert.is(err.code, 'ERR_BAD_ARG')
  await rejects(freePortRange(0), BadArgError, 'port count must be 1..1000')
})

test('the band: TEKKA_TEST_PORTS when set (the runner gives each parallel file its own), else 20000-29999; a bad one is refused naming it', async () => {
  assert.equal(portBand({}), { lo: 20000, hi: 29999 })
  assert.equal(portBand({ TEKKA_TEST_PORTS: '25000-25099' }), { lo: 25000, hi: 25099 })
  for (const bad of ['25000', '9-20', '30000-20000', '20000-70000', 'a-b']) {
    try {
      portBand({ TEKKA_TEST_PORTS: bad })
      assert.unreachable(bad)
    } catch (err) {
      assert.instance(err, TestConfigError)
      assert.match((err as Error).message, `TEKKA_TEST_PORTS must be lo-hi`)
    }
  }
  const saved = process.env.TEKKA_TEST_PORTS
  process.env.TEKKA_TEST_PORTS = '26000-26099'
  try {
    for (let i = 0; i < 3; i++) {
      const base = await freePortRange(3)
      assert.ok(base >= 26000 && base + 2 <= 26099, `${base} in the band`)
    }
  } finally {
    if (saved === undefined) delete process.env.TEKKA_TEST_PORTS
    else process.env.TEKKA_TEST_PORTS = saved
  }
})

test.run()
