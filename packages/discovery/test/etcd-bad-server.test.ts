// Bad answers where etcd should be: a tiny node:http server on loopback
// answers each etcd call as a test tells it to (500, 404, malformed JSON,
// JSON of the wrong shape, garbage base64, an error inside a 200). Every one
// becomes a named error that says what was wrong; nothing crashes; the
// background keepalive logs the problem once and carries on; the autocluster
// actor keeps retrying, joins nobody, and its actor is never restarted.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { memoryLogger, type LogRecord } from '@tekka/actors'
import { startNode, type DistNode } from '@tekka/dist'
import { autocluster, etcdStrategy, EtcdBadResponseError, EtcdError, type Strategy } from '../src/index.js'
import { components } from './support/components.js'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'

type Answer = { status?: number, body: string }
const routes = new Map<string, Answer>()
const hits = new Map<string, number>()
let server: Server
let url: string
const made: Strategy[] = []
let node: DistNode | undefined

const json = (v: unknown, status = 200): Answer => ({ status, body: JSON.stringify(v) })
const b64 = (s: string): string => Buffer.from(s).toString('base64')

test.before(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume()
    req.on('end', () => {
      const path = req.url ?? ''
      hits.set(path, (hits.get(path) ?? 0) + 1)
      const a = routes.get(path) ?? { status: 404, body: 'Not Found\n' }
      res.writeHead(a.status ?? 200, { 'content-type': 'application/json' })
      res.end(a.body)
    })
  })
  await new Promise<void>((resolve) => { server.listen(0, '127.0.0.1', resolve) })
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`
})

test.after(async () => {
  for (const s of made.splice(0)) await s.stop?.()
  await node?.stop()
  server.closeAllConnections()
  await new Promise((resolve) => { server.close(resolve) })
})

const make = (logger = memoryLogger('tekka:discovery:etcd')): Strategy => {
  const s = etcdStrategy({ server: url, prefix: 'bad', requestTimeout: 2000 })(components('b1@127.0.0.1', { logger }))
  made.push(s)
  void s.start?.() // etcd's start() is synchronous: it opens nothing before the first request
  return s
}

test('HTTP 500 with etcd\'s error body: EtcdError with the status, the gRPC code and etcd\'s words', async () => {
  routes.set('/v3/kv/range', json({ error: 'etcdserver: request timed out', message: 'etcdserver: request timed out', code: 14 }, 500))
  const e = await wait.rejects(make().discover(), EtcdError, `etcd ${url} kv/range: HTTP 500, code 14: etcdserver: request timed out`)
  assert.is(e.status, 500)
  assert.is(e.grpcCode, 14)
  assert.is(e.etcdMessage, 'etcdserver: request timed out')
  assert.is(e.code, 'ERR_ETCD')
})

test('HTTP 500 with a plain text body, HTTP 404 (no gateway at this URL): EtcdError quoting the body', async () => {
  routes.set('/v3/kv/range', { status: 500, body: 'upstream exploded' })
  await wait.rejects(make().discover(), EtcdError, 'kv/range: HTTP 500: "upstream exploded"')
  routes.delete('/v3/kv/range')
  const e = await wait.rejects(make().discover(), EtcdError, 'kv/range: HTTP 404: "Not Found\\n"')
  assert.is(e.status, 404)
})

test('malformed JSON, a JSON that is not an object: EtcdBadResponseError', async () => {
  routes.set('/v3/kv/range', { body: '{"kvs": [' })
  const e = await wait.rejects(make().discover(), EtcdBadResponseError, `etcd ${url} kv/range: bad answer: malformed JSON: "{\\"kvs\\": ["`)
  assert.is(e.code, 'ERR_ETCD_BAD_RESPONSE')
  routes.set('/v3/kv/range', { body: '[1,2]' })
  await wait.rejects(make().discover(), EtcdBadResponseError, 'bad answer: not a JSON object: "[1,2]"')
})

test('JSON of the wrong shape: the error names the field and what it is', async () => {
  routes.set('/v3/kv/range', json({ kvs: 'n1@h' }))
  await wait.rejects(make().discover(), EtcdBadResponseError, 'kv/range: bad answer: kvs is a string, not a list')
  routes.set('/v3/kv/range', json({ kvs: [{ key: b64('bad/tekka/nodes/x@h'), value: b64('x@h') }, { key: 5, value: b64('y@h') }] }))
  await wait.rejects(make().discover(), EtcdBadResponseError, 'bad answer: kvs[1].key is a number, not a base64 string')
  routes.set('/v3/kv/range', json({ kvs: [null] }))
  await wait.rejects(make().discover(), EtcdBadResponseError, 'bad answer: kvs[0] is null, not an object')
  routes.set('/v3/lease/grant', json({ ID: 'abc', TTL: '5' }))
  await wait.rejects(make().register?.() ?? Promise.resolve(), EtcdBadResponseError, 'lease/grant: bad answer: ID is a string "abc", not an integer')
  routes.set('/v3/lease/grant', json({ ID: '77', TTL: '0' }))
  await wait.rejects(make().lock?.() ?? Promise.resolve(), EtcdBadResponseError, 'lease/grant: bad answer: TTL is 0, not a positive number of seconds')
  routes.set('/v3/lease/grant', json({ ID: '77', TTL: '5' }))
  routes.set('/v3/kv/txn', json({ succeeded: true }))
  await wait.rejects(make().lock?.() ?? Promise.resolve(), EtcdBadResponseError, 'kv/txn: bad answer: responses has 0 item(s), not 2 or 3')
  routes.set('/v3/kv/txn', json({ succeeded: true, responses: [{ response_put: {} }, { response_put: {} }, { response_range: {} }] }))
  await wait.rejects(make().lock?.() ?? Promise.resolve(), EtcdBadResponseError, 'kv/txn: bad answer: responses[1].response_range is missing, not an object')
})

test('garbage base64: the error quotes it', async () => {
  routes.set('/v3/kv/range', json({ kvs: [{ key: b64('bad/tekka/nodes/x@h'), value: 'n1@host!!' }] }))
  await wait.rejects(make().discover(), EtcdBadResponseError, 'bad answer: kvs[0].value is not base64: "n1@host!!"')
})

test('an error inside a 200 answer (a streaming call): EtcdError', async () => {
  routes.set('/v3/kv/range', json({ error: { grpc_code: 14, http_code: 503, message: 'etcdserver: no leader' } }))
  const e = await wait.rejects(make().discover(), EtcdError, 'kv/range: HTTP 200, code 14: etcdserver: no leader')
  assert.is(e.grpcCode, 14)
})

test('lock waiting its turn, the watch stream answering garbage or an error: named errors, and it leaves the queue', async () => {
  // Lease 77 = 0x4d: this node's lock key is bad/tekka/lock/4d, queued behind bad/tekka/lock/1.
  const mine = { key: b64('bad/tekka/lock/4d'), value: b64('b1@127.0.0.1'), create_revision: '9' }
  const holder = { key: b64('bad/tekka/lock/1'), value: b64('n9@h'), create_revision: '3' }
  routes.set('/v3/lease/grant', json({ ID: '77', TTL: '5' }))
  routes.set('/v3/kv/txn', json({ succeeded: true, responses: [{ response_put: {} }, { response_range: { kvs: [mine] } }, { response_range: { kvs: [holder] } }] }))
  routes.set('/v3/kv/range', json({ header: { revision: '10' }, kvs: [mine, holder] }))
  routes.set('/v3/kv/deleterange', json({ header: {} }))
  routes.set('/v3/watch', { body: '{"result":{"created":true}}\ngarbage\n' })
  hits.delete('/v3/kv/deleterange')
  await wait.rejects(make().lock?.() ?? Promise.resolve(), EtcdBadResponseError, `etcd ${url} watch: bad answer: malformed JSON in the stream: "garbage"`)
  assert.is(hits.get('/v3/kv/deleterange'), 1, 'its key deleted again')
  routes.set('/v3/watch', { body: '{"result":{"created":true}}\n{"error":{"grpc_code":14,"message":"etcdserver: no leader"}}\n' })
  await wait.rejects(make().lock?.() ?? Promise.resolve(), EtcdError, 'watch: HTTP 200, code 14: etcdserver: no leader')
  routes.set('/v3/watch', { body: '{"result":{"created":true,"events":"x"}}\n' })
  await wait.rejects(make().lock?.() ?? Promise.resolve(), EtcdBadResponseError, 'watch: bad answer: result.events is a string, not a list')
  assert.is(hits.get('/v3/kv/deleterange'), 3)
})

test('keepalive answering garbage: logged once, retried, and said when it works again; the strategy lives on', async () => {
  const logger = memoryLogger('tekka:discovery:etcd')
  routes.set('/v3/lease/grant', json({ ID: '4242', TTL: '1' }))
  routes.set('/v3/kv/put', json({ header: {} }))
  routes.set('/v3/lease/keepalive', { body: 'not json' })
  const s = make(logger)
  await s.register?.()
  hits.delete('/v3/lease/keepalive')
  await wait.eventually(() => (hits.get('/v3/lease/keepalive') ?? 0) >= 3, { timeout: 5000, message: 'keepalive retried' })
  const problems = (rs: LogRecord[]): LogRecord[] => rs.filter((r) => r.msg.includes('keeping this node registered failed'))
  const warned = problems(logger.records).filter((r) => r.level === 'warn')
  assert.is(warned.length, 1, 'warned once')
  assert.match(warned[0].msg, 'lease/keepalive: bad answer: malformed JSON: "not json"')
  routes.set('/v3/lease/keepalive', json({ result: { ID: '4242', TTL: '1' } }))
  await wait.eventually(() => logger.records.some((r) => r.level === 'info' && r.msg.startsWith('etcd reachable again')), { timeout: 5000, message: 'recovery logged' })
  await s.stop?.()
})

test('the autocluster actor against garbage: retries every interval with the cause, joins nobody, never crashes', async () => {
  routes.set('/v3/kv/range', json({ kvs: [{ key: b64('bad/tekka/nodes/x@h'), value: '%%%' }] }))
  const logger = memoryLogger('tekka')
  node = await startNode({ name: 'b1@127.0.0.1', cookie: 'bad', basePort: await ports.freePortRange(2), logger })
  const st = etcdStrategy({ server: url, prefix: 'bad', requestTimeout: 2000 })(components(node.name, { logger: logger.child('etcd') }))
  const warned: string[] = []
  node.events.on('autocluster.round', (r) => { if (r.level === 'warn') warned.push(r.error ?? '') })
  const ac = autocluster({ interval: 100, jitter: 0, ctl: false })({ ...node.components, strategy: st })
  await ac.start()
  const pid = ac.pid
  try {
    await wait.eventually(() => ac.status().rounds >= 4, { timeout: 10_000, message: 'rounds go on' })
    const last = ac.status().last
    assert.match(last?.error ?? '', 'kv/range: bad answer: kvs[0].value is not base64: "%%%"')
    assert.is(last?.joined, undefined)
    assert.ok(pid !== undefined && ac.pid?.equals(pid), 'the same actor all along')
    assert.equal(node.membership.nodelist(), [node.name], 'joined nobody')
    assert.equal(warned.length, 1, 'the failure is published at warn once, then at debug while it lasts')
    assert.match(warned[0], 'is not base64', 'with its cause')
    assert.not.ok(logger.records.some((r) => r.msg === 'process crashed'))
  } finally {
    await ac.stop()
  }
})

test.run()
