import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createHash, randomBytes } from 'node:crypto'
import { silentLogger } from '@tekka/actors'
import { Connection } from '../src/index.js'
import { Outbox } from '../src/outbox.js'
import { eventually, until } from '@tekka/testing/wait'
import { socketPair } from './helpers/wire.js'

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

test('a control frame queued during a large message goes out before its next fragment', () => {
  const box = new Outbox(1000)
  const headroom = (b: Buffer): Buffer => Buffer.concat([Buffer.alloc(5), b])
  box.pushData(headroom(Buffer.alloc(5000, 1)))
  assert.is(box.bytes, 5000)
  const first = box.take(1000)!
  assert.is(first.parts.length, 2) // FRAG_FIRST header + 1000 bytes
  assert.is(first.parts[0][4], 3)
  assert.is(first.parts[0].readUInt32BE(5), 5000)
  box.pushControl(headroom(Buffer.from('ctl')))
  const second = box.take(1000)!
  assert.is(second.parts[0][4], 2) // CONTROL, whole
  assert.is(second.parts[0].subarray(5).toString(), 'ctl')
  assert.is(second.parts[1][4], 4) // then FRAG_NEXT
  assert.is(box.bytes, 3000)
  let rest = 0
  for (let b = box.take(1000); b !== undefined; b = box.take(1000)) rest++
  assert.is(rest, 3)
  assert.is(box.bytes, 0)
  assert.ok(box.empty)
})

test('a 16 MiB message arrives whole while control frames sent after it overtake it', async () => {
  const pair = await socketPair()
  const left = new Connection(pair.client, { logger: silentLogger(), tickTime: 400 })
  const right = new Connection(pair.server, { logger: silentLogger(), tickTime: 400 })
  const big = randomBytes(16 * 1024 * 1024)
  const order: string[] = []
  let bigArrived: Buffer | undefined
  right.on('message', (m) => {
    if (Buffer.isBuffer(m)) { order.push('big'); bigArrived = m } else order.push(String((m as { ctl: number }).ctl))
  })
  try {
    void left.send(big)
    // Once the big message is on its way (its first fragment written, a turn
    // of the event loop later), keep sending control frames each turn.
    await until(() => left.stats.bytesOut > 0, 'the first fragment written')
    let n = 0
    while (bigArrived === undefined && n < 10_000) {
      void left.send({ ctl: n++ }, { control: true })
      await new Promise((resolve) => setImmediate(resolve))
    }
    await eventually(() => bigArrived !== undefined && order.length === n + 1, { timeout: 10_000, message: 'everything delivered' })
    assert.is(sha(bigArrived!), sha(big))
    assert.ok(order.indexOf('big') > 0, `a control frame sent after the big message arrived before it (order starts ${order.slice(0, 3).join(',')})`)
    assert.equal(order.filter((x) => x !== 'big'), [...Array(n).keys()].map(String), 'control frames stay in order')
    assert.not.ok(left.closed || right.closed)
  } finally {
    left.close()
    right.close()
  }
})

test('data messages keep their order across fragmented and whole ones', async () => {
  const pair = await socketPair()
  const left = new Connection(pair.client, { logger: silentLogger(), tickTime: 0, fragmentSize: 1024 })
  const right = new Connection(pair.server, { logger: silentLogger(), tickTime: 0, fragmentSize: 1024 })
  const got: unknown[] = []
  right.on('message', (m) => got.push(m))
  const sent: unknown[] = []
  for (let i = 0; i < 50; i++) {
    const v = i % 3 === 0 ? { i, pad: 'x'.repeat(5000 + i) } : { i }
    sent.push(v)
    void left.send(v)
  }
  await eventually(() => got.length === 50)
  assert.equal(got, sent)
  left.close()
  right.close()
})

test.run()
