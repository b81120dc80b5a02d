// The root README's table of config keys is renderConfigTable()'s output,
// verbatim: a key added, renamed or re-documented in config.ts without the
// README following fails here. Regenerate with
//   node -e "import('./packages/dist/build/src/config.js').then((m) => process.stdout.write(m.renderConfigTable()))"
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { renderConfigTable } from '../src/config.js'

const README = fileURLToPath(new URL('../../../../README.md', import.meta.url))

test('the README lists every config key exactly as renderConfigTable() renders it', () => {
  const readme = readFileSync(README, 'utf8')
  const table = renderConfigTable().trim()
  if (!readme.includes(table)) {
    const rows = table.split('\n')
    const missing = rows.filter((r) => !readme.includes(r))
    assert.unreachable(`README.md's config table is out of date; rows that differ:\n${missing.join('\n')}`)
  }
})

test.run()
