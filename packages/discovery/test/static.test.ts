// The static strategy: the seeds, without this node and duplicates; a seed
// that is not a node name is logged once (naming it and what is wrong) and
// skipped, never a refusal to start.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { SimulatedClock, memoryLogger, BadArgError } from '@tekka/actors'
import { staticStrategy, manualStrategy, type StrategyComponents } from '../src/index.js'

function components (node = 'n1@127.0.0.1'): StrategyComponents & { records: ReturnType<typeof memoryLogger>['records'] } {
  const logger = memoryLogger('tekka:discovery:static')
  return { node, cluster: 'tekka', port: 4371, clock: new SimulatedClock(), logger, signal: new AbortController().signal, records: logger.records }
}

test('discover: the seeds without this node, deduplicated', async () => {
  const c = components()
  const s = staticStrategy({ seeds: ['n1@127.0.0.1', 'n2@127.0.0.1', 'n3@127.0.0.1', 'n2@127.0.0.1'] })(c)
  assert.is(s.name, 'static')
  assert.equal(await s.discover(), ['n2@127.0.0.1', 'n3@127.0.0.1'])
  assert.equal(c.records, [])
  assert.is(s.lock, undefined)
  assert.is(s.register, undefined)
})

test('malformed seeds are logged, naming the seed and what is wrong, and skipped', async () => {
  const c = components()
  const seeds = ['n2@127.0.0.1', 'bad seed', 'x@', 'a@b@c', 42 as unknown as string]
  const s = staticStrategy({ seeds })(c)
  assert.equal(await s.discover(), ['n2@127.0.0.1'])
  const lines = c.records.map((r) => `${r.level} ${r.msg}`)
  assert.equal(lines, [
    'warn static seed "bad seed" skipped: no @host part',
    'warn static seed "x@" skipped: empty host after @',
    'warn static seed "a@b@c" skipped: host "b@c" is neither a hostname nor an IP address',
    'warn static seed 42 skipped: not a string (number)'
  ])
  assert.equal(c.records[0].fields, { seed: 'bad seed', problem: 'no @host part' })
  // Logged once, at construction: discover does not repeat it.
  await s.discover()
  assert.is(c.records.length, 4)
})

test('init: defaults, a comma-separated string, a copy of the caller\'s array; nonsense refused', async () => {
  assert.equal(await staticStrategy()(components()).discover(), [])
  assert.equal(await staticStrategy({ seeds: 'n2@h, n3@h,,' })(components()).discover(), ['n2@h', 'n3@h'])
  const seeds = ['n2@h']
  const make = staticStrategy({ seeds })
  seeds.push('n3@h')
  assert.equal(await make(components()).discover(), ['n2@h'])
  assert.throws(() => staticStrategy({ seeds: 42 as unknown as string[] }), (e: unknown) => e instanceof BadArgError && /seeds must be a list/.test((e as Error).message))
  const copy = await staticStrategy({ seeds: ['n2@h'] })(components()).discover()
  copy.push('mutated@h')
})

test('manual discovers nobody', async () => {
  const s = manualStrategy()(components())
  assert.is(s.name, 'manual')
  assert.equal(await s.discover(), [])
})

test.run()
