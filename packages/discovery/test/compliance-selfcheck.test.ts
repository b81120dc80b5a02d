// The compliance suite can fail: against a strategy whose lock never
// excludes and whose unregister does nothing, it reports exactly those.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'

test('a strategy that breaks the contract fails the suite, on the broken points only', () => {
  const entry = fileURLToPath(new URL('./support/broken-compliance.js', import.meta.url))
  const r = spawnSync(process.execPath, [entry], { encoding: 'utf8', timeout: 60_000, env: { ...process.env, NO_COLOR: '1' } })
  const out = r.stdout + r.stderr
  assert.is.not(r.status, 0, out)
  assert.match(out, /Total:\s+6/)
  assert.match(out, /Passed:\s+4/)
  assert.match(out, /FAIL .*register \/ unregister round trip/)
  assert.match(out, /FAIL .*lock excludes a second locker/)
})

test.run()
