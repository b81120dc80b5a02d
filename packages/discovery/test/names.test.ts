// What a strategy discovered is checked before anything is dialled: a
// non-list is refused as a whole; items that are not node names are skipped
// with what is wrong; duplicates and this node are left out.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checkDiscovered, describe, MAX_DISCOVERED } from '../src/names.js'

test('a list of names: deduplicated, in order, without this node', () => {
  assert.equal(checkDiscovered(['b@h', 'me@h', 'a@h', 'b@h'], 'me@h'), { nodes: ['b@h', 'a@h'], includesSelf: true, skipped: [] })
  assert.equal(checkDiscovered([], 'me@h'), { nodes: [], includesSelf: false, skipped: [] })
})

test('garbage items are skipped, each with its problem', () => {
  const r = checkDiscovered([1, null, undefined, 'nohost', 'x@', '@h', 'a b@h', 'a@b@c', { n: 1 }, ['a@h'], 'ok@10.0.0.1', 'v6@::1'], 'me@h')
  assert.ok(typeof r !== 'string')
  assert.equal(r.nodes, ['ok@10.0.0.1', 'v6@::1'])
  assert.equal(r.skipped.map((s) => s.item), ['1', 'null', 'undefined', '"nohost"', '"x@"', '"@h"', '"a b@h"', '"a@b@c"', '{"n":1}', '["a@h"]'])
  assert.equal(r.skipped.map((s) => s.problem), [
    'not a string (number)', 'not a string (null)', 'not a string (undefined)', 'no @host part', 'empty host after @',
    'empty name before @', 'the name may only have letters, digits, _ and -', 'host "b@c" is neither a hostname nor an IP address',
    'not a string (object)', 'not a string (an array)'
  ])
})

test('a result that is not a list, or an absurdly long one, is refused as a whole', () => {
  for (const v of [undefined, null, 'a@h', 42, { 0: 'a@h', length: 1 }, new Set(['a@h'])]) {
    assert.match(checkDiscovered(v, 'me@h') as string, /not a list of node names/)
  }
  assert.match(checkDiscovered(new Array(MAX_DISCOVERED + 1).fill('a@h'), 'me@h') as string, /more than the 10000 accepted/)
})

test('describe prints anything, shortened', () => {
  assert.is(describe('x'.repeat(200)).length, 81)
  assert.is(describe(10n), '10n')
  assert.is(describe(() => 1), 'a function')
  const cyclic: Record<string, unknown> = {}
  cyclic.self = cyclic
  assert.is(describe(cyclic), '[object Object]')
})

test.run()
