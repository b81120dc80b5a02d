// Bad clients cannot take the node down: requests that are not HTTP get a
// 400 JSON error, oversize headers 431, an oversize POST body 413, an
// unknown path 404 and a wrong method 405 (with Allow); slow-loris clients
// (headers a byte at a time, never finished) are cut off after
// management.request_timeout while other clients are still served; the
// node and its links keep working throughout.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect, type Socket } from 'node:net'
import { eventually, withTimeout } from '@tekka/testing/wait'
import { freePortRange } from '@tekka/testing/ports'
import { post, request, startManaged, type Managed } from './helpers/managed.js'

const running: Managed[] = []
test.after(async () => { for (const n of running.splice(0)) await n.t.stop() })

let a: Managed
let b: Managed

test.before(async () => {
  const base = await freePortRange(3)
  const seeds = ['g1@127.0.0.1', 'g2@127.0.0.1']
  a = await startManaged('g1@127.0.0.1', base, seeds, { 'management.request_timeout': '600ms' })
  running.push(a)
  b = await startManaged('g2@127.0.0.1', base, seeds)
  running.push(b)
  await eventually(async () => (await request(a.url, '/health/ready')).status === 200, { timeout: 15_000 })
})

/** Writes `bytes` on a fresh socket and reads until the server closes it. */
async function raw (bytes: string | Buffer): Promise<string> {
  const { port } = a.m.address!
  return await withTimeout(new Promise<string>((resolve, reject) => {
    const s = connect(port, '127.0.0.1')
    let got = ''
    s.on('data', (d) => { got += d.toString() })
    s.on('error', (err) => { if (got !== '') resolve(got); else reject(err) })
    s.on('close', () => { resolve(got) })
    s.end(bytes)
  }), 5000, 'raw request')
}

const statusOf = (reply: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(reply)?.[1])
const bodyOf = (reply: string): any => JSON.parse(reply.slice(reply.indexOf('\r\n\r\n') + 4))

async function stillServes (): Promise<void> {
  assert.is((await request(a.url, '/health/alive')).status, 200, 'the endpoint still answers')
  assert.is(await a.t.node.rpc.call('g2@127.0.0.1', 'tekka.ping', [], { timeout: 5000 }), 'pong', 'the node still talks to its peer')
}

test('garbage that is not HTTP is 400 with a JSON error', async () => {
  for (const g of ['GARBAGE\r\n\r\n', '\x00\x01\x02\xff\r\n\r\n', 'GET /health/alive HTTP/9.9\r\n\r\n', 'GET / HTTP/1.1\r\nbad header line\r\n\r\n']) {
    const reply = await raw(g)
    assert.is(statusOf(reply), 400, `${JSON.stringify(g)}: ${reply}`)
    assert.is(bodyOf(reply).error, 'bad_request')
  }
  const noise = await raw(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 31) % 256)))
  assert.ok(noise === '' || statusOf(noise) === 400, `binary noise: ${noise.slice(0, 100)}`)
  await stillServes()
})

test('oversize headers are 431, an oversize POST body 413, a body that is not JSON 400', async () => {
  const big = await raw(`GET /metrics HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`)
  assert.is(statusOf(big), 431, big.slice(0, 200))
  assert.is(bodyOf(big).error, 'headers_too_large')
  const body = await post(a.url, '/cluster/join', { node: 'x'.repeat(10_000) + '@127.0.0.1' })
  assert.is(body.status, 413)
  assert.is(body.json.error, 'body_too_large')
  await stillServes()
})

test('an unknown path is 404, a wrong method 405 with Allow; HEAD answers like GET without a body', async () => {
  const r404 = await request(a.url, '/nope?x=1')
  assert.is(r404.status, 404)
  assert.is(r404.json.error, 'not_found')
  assert.match(r404.json.message, '/nope')
  for (const [method, path, allow] of [['DELETE', '/metrics', 'GET, HEAD'], ['POST', '/health/ready', 'GET, HEAD'], ['GET', '/cluster/leave', 'POST'], ['PUT', '/cluster/join', 'POST']]) {
    const r = await request(a.url, path, { method })
    assert.is(r.status, 405, `${method} ${path}`)
    assert.is(r.json.error, 'method_not_allowed')
    assert.is(r.headers.get('allow'), allow)
  }
  const head = await request(a.url, '/metrics', { method: 'HEAD' })
  assert.is(head.status, 200)
  assert.is(head.text, '')
  await stillServes()
})

test('slow-loris clients are cut off after management.request_timeout, and others are served meanwhile', async () => {
  const { port } = a.m.address!
  const slow: Socket[] = []
  const closed: Array<Promise<string>> = []
  for (let i = 0; i < 40; i++) {
    const s = connect(port, '127.0.0.1')
    s.on('error', () => {})
    let got = ''
    s.on('data', (d) => { got += d.toString() })
    closed.push(new Promise((resolve) => s.on('close', () => { resolve(got) })))
    slow.push(s)
  }
  const header = 'GET /metrics HTTP/1.1\r\nhost: x\r\nx-slow: '
  let i = 0
  const drip = setInterval(() => { for (const s of slow) if (!s.destroyed) s.write(i < header.length ? header[i] : 'a'); i++ }, 50)
  try {
    for (let k = 0; k < 5; k++) assert.is((await request(a.url, '/health/ready')).status, 200, 'served while the slow clients drip')
    const replies = await withTimeout(Promise.all(closed), 10_000, 'the server closes every slow client')
    for (const r of replies) if (r !== '') assert.is(statusOf(r), 408, r)
  } finally {
    clearInterval(drip)
    for (const s of slow) s.destroy()
  }
  await stillServes()
})

test.run()
