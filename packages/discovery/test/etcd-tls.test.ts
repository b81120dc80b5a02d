// The etcd strategy over TLS, against a real etcd that requires client
// certificates (--client-cert-auth): with the cluster's CA, certificate and
// key it registers, discovers and locks; given the wrong CA it refuses the
// server, and without an accepted client certificate the server refuses it,
// each with an error that says so and names the setting to check.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { BadArgError } from '@tekka/actors'
import * as certs from '@tekka/testing/certs'
import * as wait from '@tekka/testing/wait'
import { etcdStrategy, EtcdUnreachableError, type EtcdSslInit, type Strategy } from '../src/index.js'
import { EtcdServer, pemFiles } from '@tekka/testing/etcd-server'
import { components } from './support/components.js'


const c = certs.makeCerts()
const pem = pemFiles({ 'ca.crt': c.ca, 'node.crt': c.cert, 'node.key': c.key, 'rogue-ca.crt': c.rogueCa, 'rogue.crt': c.rogueCert, 'rogue.key': c.rogueKey })
let etcd: EtcdServer
const made: Strategy[] = []

const make = (node: string, ssl: EtcdSslInit): Strategy => {
  const s = etcdStrategy({ server: etcd.url, prefix: 'tls', ssl, requestTimeout: 3000 })(components(node))
  made.push(s)
  void s.start?.() // etcd's start() is synchronous: it opens nothing before the first request
  return s
}

test.before(async () => { etcd = await EtcdServer.start({ tls: { cert: c.cert, key: c.key, ca: c.ca } }) })
test.after(async () => {
  for (const s of made.splice(0)) await s.stop?.()
  await etcd?.destroy()
  pem.cleanup()
})

test('https with the cluster CA and a client certificate: register, discover, lock', async () => {
  assert.match(etcd.url, /^https:/)
  const s = make('t1@127.0.0.1', { cacertfile: pem.path['ca.crt'], certfile: pem.path['node.crt'], keyfile: pem.path['node.key'] })
  await s.register?.()
  assert.equal(await s.discover(), ['t1@127.0.0.1'])
  assert.is(await s.lock?.(), true)
  await s.unlock?.()
  assert.equal((await etcd.keys('tls/tekka/nodes/')).map((k) => k.value), ['t1@127.0.0.1'])
  await s.unregister?.()
})

test('the wrong CA: the server is not trusted, and the error says to check cacertfile', async () => {
  const s = make('t2@127.0.0.1', { cacertfile: pem.path['rogue-ca.crt'], certfile: pem.path['node.crt'], keyfile: pem.path['node.key'] })
  await wait.rejects(s.discover(), EtcdUnreachableError, /TLS: the server's certificate is not trusted \([A-Z_]+: .*\); check cluster\.etcd\.ssl\.cacertfile/)
})

test('a client certificate of another CA: the server refuses the handshake', async () => {
  const s = make('t3@127.0.0.1', { cacertfile: pem.path['ca.crt'], certfile: pem.path['rogue.crt'], keyfile: pem.path['rogue.key'] })
  await wait.rejects(s.discover(), EtcdUnreachableError, /TLS: the server refused the handshake \(ERR_SSL_[A-Z0-9_]+\); check cluster\.etcd\.ssl\.certfile and keyfile/)
})

test('a TLS file that cannot be read: refused when the strategy is made, naming the key and the file', () => {
  assert.throws(() => etcdStrategy({ server: 'https://127.0.0.1:1', ssl: { cacertfile: '/nonexistent/ca.pem' } }),
    (e: unknown) => e instanceof BadArgError && e.message.includes('cannot read cluster.etcd.ssl.cacertfile "/nonexistent/ca.pem" (ENOENT)'))
})

test.run()
