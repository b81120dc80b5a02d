// A randomized test's size: full in the full suite, the smaller share in the
// unit tier (the runner's --unit sets TEKKA_TEST_TIER=unit), a named
// variable over both, and a clear error for a size that is not one.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sized, testTier } from '../src/scale.js'
import { TestConfigError } from '../src/errors.js'

test('the full suite runs the full size, the unit tier the smaller one', () => {
  assert.is(sized(250, 50, undefined, {}), 250)
  assert.is(testTier({}), 'full')
  assert.is(sized(250, 50, undefined, { TEKKA_TEST_TIER: 'unit' }), 50)
  assert.is(testTier({ TEKKA_TEST_TIER: 'unit' }), 'unit')
  assert.is(sized(250, 50, undefined, { TEKKA_TEST_TIER: 'system' }), 250, 'only "unit" shrinks a test')
})

test('the named variable wins over the tier; empty counts as unset', () => {
  assert.is(sized(250, 50, 'N', { N: '7', TEKKA_TEST_TIER: 'unit' }), 7)
  assert.is(sized(250, 50, 'N', { N: '7' }), 7)
  assert.is(sized(250, 50, 'N', { N: '', TEKKA_TEST_TIER: 'unit' }), 50)
})

test('a size that is not a positive integer is refused, naming the variable and the value', () => {
  for (const bad of ['0', '-3', '2.5', 'many']) {
    try {
      sized(250, 50, 'TEKKA_FUZZ_FRAMES', { TEKKA_FUZZ_FRAMES: bad })
      assert.unreachable(`${bad} was accepted`)
    } catch (err) {
      assert.instance(err, TestConfigError)
      assert.is((err as TestConfigError).code, 'ERR_TEST_CONFIG')
      assert.match((err as Error).message, `TEKKA_FUZZ_FRAMES must be a positive integer, got "${bad}"`)
    }
  }
})

test.run()
