// Free ports on loopback addresses: bindable, distinct, consecutive when asked.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type Server } from 'node:net'
import { freePort, freePortRange, freePorts } from '../src/ports.js'
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

test.run()
