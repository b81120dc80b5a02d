import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { memoryLogger } from '@tekka/actors'
import { Connection, FrameTooLargeError, FrameDecodeError, ProtocolError } from '../src/index.js'
import { encodeFrame } from '../src/frame.js'
import { socketPair, once } from './helpers/wire.js'

async function feed (bytes: Buffer[], end = false): Promise<{ reason: string, error: Error | undefined, logger: ReturnType<typeof memoryLogger> }> {
  const pair = await socketPair()
  const logger = memoryLogger('tekka:dist:connection')
  const conn = new Connection(pair.server, { logger, tickTime: 0, maxFrameSize: 1024 * 1024 })
  const closed = once<[string, Error?]>(conn, 'close', 3000)
  for (const b of bytes) pair.client.write(b)
  if (end) pair.client.end()
  const [reason, error] = await closed
  pair.close()
  return { reason, error, logger }
}

function loggedProtocolError (logger: ReturnType<typeof memoryLogger>): boolean {
  return logger.records.some((r) => r.level === 'error' && r.name === 'tekka:dist:connection' && /protocol error/.test(r.msg))
}

test('garbage bytes close the link with protocol_error, logged', async () => {
  const { reason, error, logger } = await feed([Buffer.from('GET / HTTP/1.1\r\n\r\n')])
  assert.is(reason, 'protocol_error')
  assert.instance(error, FrameTooLargeError)
  assert.ok(loggedProtocolError(logger))
})

test('an unknown frame kind is a protocol error', async () => {
  const { reason, error, logger } = await feed([encodeFrame(Buffer.from([0x7f, 1, 2]))])
  assert.is(reason, 'protocol_error')
  assert.instance(error, ProtocolError)
  assert.match(error!.message, /unknown frame kind 127/)
  assert.ok(loggedProtocolError(logger))
})

test('a data frame that is not msgpack is a protocol error', async () => {
  const { reason, error } = await feed([encodeFrame(Buffer.from([1, 0x92, 0x01]))])
  assert.is(reason, 'protocol_error')
  assert.instance(error, FrameDecodeError)
})

test('fragments out of place are protocol errors', async () => {
  const next = await feed([encodeFrame(Buffer.from([4, 1, 2, 3]))])
  assert.is(next.reason, 'protocol_error')
  assert.match(next.error!.message, /outside a fragmented message/)
  const first = Buffer.from([3, 0, 0, 0, 10, 1, 2])
  const interleaved = await feed([encodeFrame(first), encodeFrame(Buffer.from([1, 0xc0]))])
  assert.match(interleaved.error!.message, /data frame arrived inside a fragmented message/)
  const tooBig = await feed([encodeFrame(Buffer.from([3, 0x7f, 0, 0, 0, 1]))])
  assert.instance(tooBig.error, FrameTooLargeError)
  const overrun = await feed([encodeFrame(first), encodeFrame(Buffer.from([4, ...Buffer.alloc(20)]))])
  assert.match(overrun.error!.message, /exceed the announced 10 bytes/)
})

test('a truncated frame at end of stream closes the link, logged', async () => {
  const frame = encodeFrame(Buffer.from([1, 0xa3, 0x61, 0x62, 0x63]))
  const { reason, error, logger } = await feed([frame.subarray(0, 6)], true)
  assert.is(reason, 'connection_closed')
  assert.instance(error, ProtocolError)
  assert.match(error!.message, /ended inside a frame/)
  assert.ok(logger.records.some((r) => r.level === 'warn' && /mid-frame/.test(r.msg)))
})

test('an oversized prefix closes the link without waiting for the body', async () => {
  const header = Buffer.alloc(4)
  header.writeUInt32BE(2 * 1024 * 1024)
  const { reason, error } = await feed([header])
  assert.is(reason, 'protocol_error')
  assert.is((error as FrameTooLargeError).size, 2 * 1024 * 1024)
})

test.run()
