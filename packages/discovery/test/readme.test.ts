// The package README says what the code has: its config tables are what
// the loader documents (renderConfigTable of each strategy's keys), every
// autocluster event type is in its events table, and every error code with
// its class in its errors table. A key, event or error added without its
// documentation fails here.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { readFileSync } from 'node:fs'
import type { TekkaEventType } from '@tekka/actors'
import { renderConfigTable } from '@tekka/dist'
import { DISCOVERY_ERRORS, STRATEGIES, plugin } from '../src/index.js'

// Compiled to build/test/: the README is two levels up.
const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8')

type AutoclusterEvent = Extract<TekkaEventType, `autocluster.${string}`>
const EVENTS = [
  'autocluster.started', 'autocluster.round', 'autocluster.joined', 'autocluster.complete', 'autocluster.registered',
  'autocluster.unregistered', 'autocluster.strategy_failed', 'autocluster.switched', 'autocluster.left', 'autocluster.crashed'
] as const satisfies readonly AutoclusterEvent[]
// Every declared autocluster event is listed above (a compile error otherwise).
const everyEvent: Exclude<AutoclusterEvent, typeof EVENTS[number]> extends never ? true : never = true

test('the config tables are the loader\'s: the discovery keys, then each strategy\'s own', () => {
  const strategyKeys = new Set(STRATEGIES.flatMap((s) => s.keys))
  const general = plugin.config.keys.filter((k) => !strategyKeys.has(k))
  assert.ok(README.includes(renderConfigTable(general)), 'the table of cluster.discovery and cluster.autocluster_interval')
  for (const s of STRATEGIES) {
    if (s.keys.length === 0) continue
    assert.ok(README.includes(`### ${s.name}\n\n${renderConfigTable(s.keys)}`), `the table of ${s.name}'s keys, under its heading`)
  }
})

test('every autocluster event is in the events table', () => {
  assert.ok(everyEvent)
  for (const type of EVENTS) assert.match(README, `| \`${type}\` |`, type)
})

test('every error code is in the errors table, with its class', () => {
  for (const [code, Class] of Object.entries(DISCOVERY_ERRORS)) assert.match(README, `| \`${code}\` | \`${Class.name}\` |`, code)
})

test.run()
