// The history checker itself, on made-up histories: it must catch what it
// is there to catch (overlaps, tokens that do not increase), end holds at
// the right moment (release, lost, kill of the node, end of the test), and
// stay quiet on a correct history.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { checkHolds, holdsOf, type HistoryRecord } from './helpers/history.js'

const acq = (t: number, client: string, resource: string, token: number, type: 'leader' | 'quorum' = 'quorum'): HistoryRecord =>
  ({ ev: 'acq', t, node: client.split('/')[0], client, resource, type, token })
const rel = (t: number, client: string, resource: string, type: 'leader' | 'quorum' = 'quorum'): HistoryRecord =>
  ({ ev: 'rel', t, node: client.split('/')[0], client, resource, type })
const lost = (t: number, client: string, resource: string): HistoryRecord =>
  ({ ev: 'lost', t, node: client.split('/')[0], client, resource, type: 'quorum', reason: 'test' })

test('a correct history passes, records in any order', () => {
  const recs = [acq(10, 'n1/1', 'Q', 5), rel(20, 'n1/1', 'Q'), acq(20, 'n2/1', 'Q', 6), rel(30, 'n2/1', 'Q'), acq(31, 'n1/1', 'Q', 9)]
  const { holds, problems } = holdsOf([...recs].reverse(), [], 100)
  assert.equal(problems, [])
  assert.is(holds.length, 3)
  assert.equal(holds.map((h) => h.endedBy), ['release', 'release', 'end'])
  assert.equal(checkHolds(holds), [])
})

test('two holders at once are an overlap', () => {
  const { holds } = holdsOf([acq(10, 'n1/1', 'Q', 5), acq(15, 'n2/1', 'Q', 6), rel(20, 'n1/1', 'Q'), rel(30, 'n2/1', 'Q')], [], 100)
  const v = checkHolds(holds)
  assert.is(v.length, 1)
  assert.is(v[0].kind, 'overlap')
})

test('a token that does not increase is caught, even without an overlap', () => {
  const { holds } = holdsOf([acq(10, 'n1/1', 'Q', 7), rel(20, 'n1/1', 'Q'), acq(25, 'n2/1', 'Q', 7), rel(30, 'n2/1', 'Q')], [], 100)
  const v = checkHolds(holds)
  assert.equal(v.map((x) => x.kind), ['token'])
})

test('a hold ends at its owner\'s lost event, or at the kill of its node, or at the end of the test', () => {
  const recs = [acq(10, 'n1/1', 'A', 1), lost(12, 'n1/1', 'A'), acq(13, 'n2/1', 'A', 2), acq(10, 'n3/1', 'B', 1), acq(18, 'n4/1', 'B', 2)]
  const { holds } = holdsOf(recs, [{ node: 'n3', t: 17 }, { node: 'n3', t: 5 }], 100)
  assert.equal(holds.map((h) => [h.client, h.end, h.endedBy]), [['n1/1', 12, 'lost'], ['n3/1', 17, 'kill'], ['n2/1', 100, 'end'], ['n4/1', 100, 'end']])
  assert.equal(checkHolds(holds), [])
  // Killed later than the next holder began: an overlap.
  const late = holdsOf(recs, [{ node: 'n3', t: 19 }], 100)
  assert.equal(checkHolds(late.holds).map((x) => x.kind), ['overlap'])
})

test('an overlap with a hold that began earlier than the previous one is still seen (longest hold so far)', () => {
  const { holds } = holdsOf([acq(10, 'n1/1', 'Q', 1), acq(11, 'n2/1', 'Q', 2), rel(12, 'n2/1', 'Q'), acq(13, 'n3/1', 'Q', 3), rel(14, 'n3/1', 'Q'), rel(50, 'n1/1', 'Q')], [], 100)
  assert.is(checkHolds(holds).filter((v) => v.kind === 'overlap').length, 2)
})

test('local and all locks are not checked (they promise nothing across partitions)', () => {
  const recs: HistoryRecord[] = [
    { ev: 'acq', t: 1, node: 'n1', client: 'n1/1', resource: 'X', type: 'all', token: 1 },
    { ev: 'acq', t: 2, node: 'n2', client: 'n2/1', resource: 'X', type: 'all', token: 1 }
  ]
  assert.equal(checkHolds(holdsOf(recs, [], 10).holds), [])
})

test.run()
