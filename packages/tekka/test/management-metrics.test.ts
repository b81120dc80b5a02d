// GET /metrics after real traffic between two in-process nodes, read with
// a real parser of the Prometheus text format (parse-prometheus-text-format):
// every named family is there, with values that follow the traffic
// (members up, links up, messages and bytes per peer, lock acquires,
// failures and locks held by type, the longest mailbox, processes, event-
// loop lag, round trip per peer); a link that goes down, and a stranger's
// garbage on the dist port, are counted by reason. promtool's stricter check is management-promtool.test.ts.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { connect } from 'node:net'
import parse, { type Family } from 'parse-prometheus-text-format'
import { eventually } from '@tekka/testing/wait'
import { freePortRange } from '@tekka/testing/ports'
import { request, startManaged, type Managed } from './helpers/managed.js'
import { makeTraffic, SINK } from './helpers/traffic.js'

const running: Managed[] = []
test.after.each(async () => { for (const n of running.splice(0)) await n.t.stop() })

async function families (url: string): Promise<Map<string, Family>> {
  const r = await request(url, '/metrics')
  assert.is(r.status, 200)
  assert.is(r.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8')
  return new Map(parse(r.text).map((f) => [f.name, f]))
}

function value (fs: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const f = fs.get(name)
  assert.ok(f !== undefined, `family ${name} is there`)
  const s = f.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
  assert.ok(s !== undefined, `${name}${JSON.stringify(labels)} has a sample`)
  return Number(s.value)
}

test('every named family parses, with values that follow the traffic', async () => {
  const base = await freePortRange(3)
  const seeds = ['x1@127.0.0.1', 'x2@127.0.0.1']
  const a = await startManaged('x1@127.0.0.1', base, seeds)
  running.push(a)
  const b = await startManaged('x2@127.0.0.1', base, seeds)
  running.push(b)
  await eventually(async () => (await request(a.url, '/health/ready')).status === 200, { timeout: 15_000 })
  await makeTraffic(a, b, 500)

  const fa = await eventually(async () => { const fs = await families(a.url); return fs.get('tekka_dist_rtt_seconds')!.metrics.length > 0 && fs }, { timeout: 5000, message: 'a round trip was measured' })
  assert.is(fa.get('tekka_cluster_members')!.type, 'GAUGE')
  assert.is(value(fa, 'tekka_cluster_members', { status: 'up' }), 2)
  assert.is(value(fa, 'tekka_cluster_members', { status: 'down' }), 0)
  assert.is(value(fa, 'tekka_ready'), 1)
  assert.is(fa.get('tekka_dist_nodeup_total')!.type, 'COUNTER')
  assert.ok(value(fa, 'tekka_dist_nodeup_total') >= 1)
  assert.ok(value(fa, 'tekka_dist_messages_sent_total', { peer: 'x2@127.0.0.1' }) >= 500, 'messages to x2')
  assert.ok(value(fa, 'tekka_dist_bytes_sent_total', { peer: 'x2@127.0.0.1' }) >= 500 * 100, 'bytes to x2')
  assert.ok(value(fa, 'tekka_dist_messages_received_total', { peer: 'x2@127.0.0.1' }) >= 1)
  assert.ok(value(fa, 'tekka_dist_bytes_received_total', { peer: 'x2@127.0.0.1' }) >= 1)
  const rtt = value(fa, 'tekka_dist_rtt_seconds', { peer: 'x2@127.0.0.1' })
  assert.ok(rtt > 0 && rtt < 10, `round trip ${rtt} s`)
  assert.ok(value(fa, 'tekka_lock_acquires_total', { type: 'local' }) >= 1)
  assert.ok(value(fa, 'tekka_lock_acquire_failures_total', { type: 'local' }) >= 1)
  assert.is(value(fa, 'tekka_lock_acquire_failures_total', { type: 'quorum' }), 0)
  assert.is(value(fa, 'tekka_locks_held', { type: 'local' }), 1)
  assert.ok(value(fa, 'tekka_processes') >= 3)
  for (const name of ['tekka_partitions_detected_total', 'tekka_heals_total', 'tekka_heal_in_progress', 'tekka_cluster_partitions']) assert.ok(fa.has(name), name)
  assert.is(value(fa, 'tekka_heals_total', { result: 'done' }), 0)
  const lag = fa.get('tekka_event_loop_lag_seconds')!
  assert.is(lag.type, 'SUMMARY')
  assert.ok(Number(lag.metrics[0].count) > 0, 'the event-loop delay was sampled')
  assert.ok(Number(lag.metrics[0].quantiles!['0.99']) >= 0)

  const fb = await families(b.url)
  const top = fb.get('tekka_process_mailbox_length')!.metrics[0]
  assert.is(top.labels?.name, SINK, 'the longest mailbox is the sink\'s')
  assert.is(Number(top.value), 500)
  assert.ok(fb.get('tekka_process_mailbox_length')!.metrics.length <= 10, 'management.top_processes')
  assert.ok(value(fb, 'tekka_dist_messages_received_total', { peer: 'x1@127.0.0.1' }) >= 500)

  // A stranger's garbage on the dist port: refused, counted by its reason.
  assert.is(value(fa, 'tekka_dist_handshakes_refused_total', { reason: 'protocol' }), 0)
  const junk = connect(a.t.node.port!, '127.0.0.1')
  junk.on('error', () => {})
  junk.end(Buffer.alloc(64, 0xff))
  await eventually(async () => value(await families(a.url), 'tekka_dist_handshakes_refused_total', { reason: 'protocol' }) === 1, { timeout: 10_000, message: 'the refused handshake is counted' })

  // A link that goes down, counted by its reason.
  a.t.node.disconnect('x2@127.0.0.1')
  await eventually(async () => value(await families(a.url), 'tekka_dist_nodedown_total', { reason: 'disconnect' }) >= 1, { timeout: 5000 })
})

test('management.top_processes bounds the mailbox list; 0 lists none', async () => {
  const base = await freePortRange(2)
  const a = await startManaged('y1@127.0.0.1', base, ['y1@127.0.0.1'], { 'management.top_processes': 2 })
  running.push(a)
  assert.is((await families(a.url)).get('tekka_process_mailbox_length')!.metrics.length, 2)
  const b = await startManaged('y2@127.0.0.1', base, ['y2@127.0.0.1'], { 'management.top_processes': 0 })
  running.push(b)
  assert.is((await families(b.url)).get('tekka_process_mailbox_length')!.metrics.length, 0)
})

test.run()
