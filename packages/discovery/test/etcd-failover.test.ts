// Several etcd servers: a request that cannot reach the first one goes to
// the next, and the one that works is remembered (the dead one is not tried
// first again); with none reachable the error names every server and why.
// Every request honours its bounds: the caller's AbortSignal, and the
// request timeout against a server that accepts and never answers.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createServer, type Server, type Socket } from 'node:net'
import { memoryLogger } from '@tekka/actors'
import { etcdStrategy, EtcdTimeoutError, EtcdUnreachableError, type Strategy } from '../src/index.js'
import { EtcdServer } from '@tekka/testing/etcd-server'
import { components } from './support/components.js'
import * as ports from '@tekka/testing/ports'
import * as wait from '@tekka/testing/wait'

let etcd: EtcdServer
const made: Strategy[] = []
const servers: Server[] = []
const sockets = new Set<Socket>()

/** A TCP server on loopback: `reset` closes each connection at once, `hang` holds it without a word. Counts connections. */
async function tcpServer (mode: 'reset' | 'hang'): Promise<{ url: string, connections: () => number }> {
  let n = 0
  const srv = createServer((sock) => {
    n++
    sockets.add(sock)
    sock.on('close', () => { sockets.delete(sock) })
    sock.on('error', () => {})
    if (mode === 'reset') sock.resetAndDestroy()
  })
  servers.push(srv)
  await new Promise<void>((resolve) => { srv.listen(0, '127.0.0.1', resolve) })
  const addr = srv.address() as { port: number }
  return { url: `http://127.0.0.1:${addr.port}`, connections: () => n }
}

test.before(async () => { etcd = await EtcdServer.start() })
test.after(async () => {
  for (const s of made.splice(0)) await s.stop?.()
  for (const s of sockets) s.destroy()
  await Promise.all(servers.map(async (s) => { await new Promise((resolve) => { s.close(resolve) }) }))
  await etcd?.destroy()
})

test('first server refuses connections: requests go to the next, which is then tried first', async () => {
  const dead = `http://127.0.0.1:${await ports.freePort()}` // nothing listens there
  const logger = memoryLogger('tekka:discovery:etcd')
  const s = etcdStrategy({ server: [dead, etcd.url], prefix: 'fo' })(components('f1@127.0.0.1', { logger }))
  made.push(s)
  void s.start?.() // etcd's start() is synchronous: it opens nothing before the first request
  await s.register?.()
  assert.equal(await s.discover(), ['f1@127.0.0.1'])
  assert.is(await s.lock?.(), true)
  await s.unlock?.()
  const switched = logger.records.filter((r) => r.msg.startsWith(`etcd: now using ${etcd.url}`))
  assert.is(switched.length, 1, 'switched once, and said so')
  assert.match(switched[0].msg, 'connection refused')
  await s.unregister?.()
})

test('remembers the server that works: a resetting first server is connected to once, not on every request', async () => {
  const bad = await tcpServer('reset')
  const s = etcdStrategy({ server: [bad.url, etcd.url], prefix: 'fo' })(components('f2@127.0.0.1'))
  made.push(s)
  void s.start?.() // etcd's start() is synchronous: it opens nothing before the first request
  for (let i = 0; i < 5; i++) await s.discover()
  await s.register?.()
  assert.is(bad.connections(), 1)
  await s.unregister?.()
})

test('a first server that accepts and never answers is given up after attemptTimeout, for the next', async () => {
  const hang = await tcpServer('hang')
  const s = etcdStrategy({ server: [hang.url, etcd.url], prefix: 'fo', attemptTimeout: 300, requestTimeout: 5000 })(components('f3@127.0.0.1'))
  made.push(s)
  void s.start?.() // etcd's start() is synchronous: it opens nothing before the first request
  await s.register?.()
  assert.equal(await s.discover(), ['f3@127.0.0.1'])
  assert.is(hang.connections(), 1)
  await s.unregister?.()
})

test('no server reachable: EtcdUnreachableError naming each server and why', async () => {
  const dead = `http://127.0.0.1:${await ports.freePort()}`
  const bad = await tcpServer('reset')
  const s = etcdStrategy({ server: [dead, bad.url], prefix: 'fo' })(components('f4@127.0.0.1'))
  made.push(s)
  void s.start?.() // etcd's start() is synchronous: it opens nothing before the first request
  const e = await wait.rejects(s.discover(), EtcdUnreachableError, `${dead} (connection refused)`, `${bad.url} (connection reset)`)
  assert.is(e.code, 'ERR_ETCD_UNREACHABLE')
  assert.equal(e.failures.map((f) => f.server), [dead, bad.url])
})

test('the caller\'s AbortSignal ends a request at once, with the caller\'s reason', async () => {
  const hang = await tcpServer('hang')
  const s = etcdStrategy({ server: [hang.url], prefix: 'fo', attemptTimeout: 60_000, requestTimeout: 60_000 })(components('f5@127.0.0.1'))
  made.push(s)
  void s.start?.() // etcd's start() is synchronous: it opens nothing before the first request
  const ac = new AbortController()
  const why = new Error('the caller gave up')
  const p = s.discover({ signal: ac.signal })
  setTimeout(() => { ac.abort(why) }, 100)
  assert.is(await wait.rejects(p), why)
  // Already aborted: refused without a connection.
  const before = hang.connections()
  assert.is(await wait.rejects(s.lock?.({ signal: ac.signal }) ?? Promise.resolve()), why)
  assert.is(hang.connections(), before)
})

test('a server that never answers: EtcdTimeoutError after requestTimeout', async () => {
  const hang = await tcpServer('hang')
  const s = etcdStrategy({ server: [hang.url], prefix: 'fo', attemptTimeout: 60_000, requestTimeout: 300 })(components('f6@127.0.0.1'))
  made.push(s)
  void s.start?.() // etcd's start() is synchronous: it opens nothing before the first request
  await wait.rejects(s.register?.() ?? Promise.resolve(), EtcdTimeoutError, `etcd lease/grant: no answer within 300 ms (last tried ${hang.url})`)
})

test.run()
