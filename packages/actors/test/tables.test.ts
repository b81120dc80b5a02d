/**
 * Named tables (Erlang's named ETS tables): state a service shares with the
 * processes of its node, found by name, owned by whoever set it.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { NameTakenError, NamedTables } from '../src/index.js'
import { runtime } from './support/bounded.js'
import { withTimeout } from '@tekka/testing/wait'

test('a table set on the runtime is found by name from any of its processes', async () => {
  const rt = runtime()
  const locks = new Map<string, string>([['job', 'owner-1']])
  rt.tables.set('locks', locks)
  assert.is(rt.tables.get('locks'), locks)
  const seen = await withTimeout(rt.run((ctx) => ctx.runtime.tables.get<Map<string, string>>('locks')?.get('job')), 2000, 'read in a process')
  assert.is(seen, 'owner-1')
  assert.is(rt.tables.get('nothing'), undefined)
})

test('set returns the delete; names() lists the tables, sorted', () => {
  const t = new NamedTables()
  const dropB = t.set('b', { x: 1 })
  t.set('a', [])
  assert.equal(t.names(), ['a', 'b'])
  dropB()
  assert.is(t.get('b'), undefined)
  assert.equal(t.names(), ['a'])
  dropB() // twice is fine
  assert.equal(t.names(), ['a'])
})

test('a name held by another table is refused with NameTakenError; the same table again is fine', () => {
  const t = new NamedTables()
  const first = { v: 1 }
  t.set('svc', first)
  assert.throws(() => t.set('svc', { v: 2 }), (e: unknown) => e instanceof NameTakenError && e.code === 'ERR_NAME_TAKEN' && e.registeredName === 'svc' && /table "svc" already exists/.test(e.message))
  assert.is(t.get('svc'), first, 'the holder keeps it')
  t.set('svc', first)
  assert.is(t.get('svc'), first)
})

test('an old delete does not remove the table someone set under that name since', () => {
  const t = new NamedTables()
  const dropOld = t.set('svc', { gen: 1 })
  dropOld()
  const fresh = { gen: 2 }
  t.set('svc', fresh)
  dropOld()
  assert.is(t.get('svc'), fresh)
})

test('each runtime has tables of its own', () => {
  const a = runtime()
  const b = runtime({ node: 'b@host' })
  a.tables.set('x', 1)
  assert.is(b.tables.get('x'), undefined)
  b.tables.set('x', 2)
  assert.is(a.tables.get('x'), 1)
})

test.run()
