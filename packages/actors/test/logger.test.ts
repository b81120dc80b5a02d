/**
 * Loggers: per-part levels (longest matching part wins, with or without the
 * `tekka:` prefix; bad specs refused naming the bad entry), the text and
 * JSON lines (the node in every JSON line once known; fields that are
 * cyclic, bigints, errors or bytes never make a line throw), and the limit
 * on repeated lines (first `burst` per interval, then one summary line with
 * the count; bounded keys), on a simulated clock.
 */
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import {
  BadArgError, SimulatedClock, consoleLogger, createLogger, envLogFormat, envLogLevels, formatJson, formatRecord,
  levelFor, parseLogLevels, rateLimitedSink, resolveLogFormat, type LogRecord
} from '../src/index.js'

const rec = (over: Partial<LogRecord> = {}): LogRecord => ({ time: Date.UTC(2026, 11, 7, 23, 0, 0), level: 'warn', name: 'tekka:dist', msg: 'm', ...over })

function badArg (fn: () => unknown): BadArgError {
  try {
    fn()
  } catch (err) {
    assert.instance(err, BadArgError)
    return err as BadArgError
  }
  throw new assert.Assertion({ message: 'expected a BadArgError', generated: false, operator: 'throws', expects: 'BadArgError', actual: 'no error' })
}

// ---------------------------------------------------------------- levels

test('levels per part: the longest matching part wins, whole segments only, with or without tekka:', () => {
  const l = parseLogLevels('warn,heal=debug,dist:handshake=info,tekka:dist=error')
  assert.is(l.default, 'warn')
  const cases: Array<[string, string]> = [
    ['tekka', 'warn'],
    ['tekka:heal', 'debug'],
    ['tekka:heal:autoheal', 'debug'],
    ['tekka:healer', 'warn'],
    ['tekka:dist', 'error'],
    ['tekka:dist:connection', 'error'],
    ['tekka:dist:handshake', 'info'],
    ['tekka:dist:handshake:x', 'info'],
    ['tekka:lock', 'warn'],
    ['myapp:db', 'warn']
  ]
  for (const [name, want] of cases) assert.is(levelFor(l, name), want, name)
  assert.is(parseLogLevels('heal=debug').default, 'warn', 'no bare level: the default stays warn')
  assert.is(parseLogLevels('info, DEBUG').default, 'debug', 'later entries win; case does not matter')
  assert.is(parseLogLevels('tekka=info').default, 'info', 'tekka= is the default')
})

test('a logger and its children filter by their own part\'s level', () => {
  const got: string[] = []
  const root = createLogger('tekka', (r) => { got.push(`${r.level} ${r.name} ${r.msg}`) }, 'warn,heal=debug')
  root.info('root info')
  root.warn('root warn')
  const heal = root.child('heal')
  heal.debug('heal debug')
  heal.child('autoheal').debug('deep debug')
  root.child('dist').info('dist info')
  assert.equal(got, ['warn tekka root warn', 'debug tekka:heal heal debug', 'debug tekka:heal:autoheal deep debug'])
})

test('bad specs are refused with a BadArgError naming the bad entry and where it came from', () => {
  const cases: Array<[string, RegExp]> = [
    ['loud', /^TEKKA_LOG: bad level "loud"; allowed: error, warn, info, debug/],
    ['warn,heal=loud', /bad level "loud" for part heal/],
    ['warn,=debug', /bad part "" in "=debug"/],
    ['warn,dist::x=info', /bad part "dist::x"/],
    ['warn,he al=info', /bad part "he al"/],
    [' , ', /empty/]
  ]
  for (const [spec, why] of cases) {
    const e = badArg(() => parseLogLevels(spec, 'TEKKA_LOG'))
    assert.match(e.message, why, spec)
    assert.is(e.argument, 'TEKKA_LOG')
  }
  assert.match(badArg(() => envLogLevels({ TEKKA_LOG: 'verbose' })).message, /^TEKKA_LOG: bad level "verbose"/)
  assert.is(envLogLevels({}).default, 'warn')
  assert.match(badArg(() => consoleLogger('tekka', 'warn,x=nope')).message, /bad level "nope" for part x/)
  assert.match(badArg(() => envLogFormat({ TEKKA_LOG__FORMAT: 'pretty' })).message, /TEKKA_LOG__FORMAT: bad format "pretty"; allowed: auto, text, json/)
})

// ---------------------------------------------------------------- formats

test('JSON lines: time, level, node, part, msg, then the fields; a field named like a header key keeps its value as _key', () => {
  const line = formatJson(rec({ node: 'n1@h', fields: { peer: 'n2@h', count: 3, ok: true, msg: 'mine', node: 'n1@h', level: 'x' } }))
  const o = JSON.parse(line)
  assert.equal(Object.keys(o), ['time', 'level', 'node', 'part', 'msg', 'peer', 'count', 'ok', '_msg', '_level'])
  assert.equal(o, { time: '2026-12-07T23:00:00.000Z', level: 'warn', node: 'n1@h', part: 'tekka:dist', msg: 'm', peer: 'n2@h', count: 3, ok: true, _msg: 'mine', _level: 'x' })
  assert.not.ok(line.includes('\n'))
  assert.is(JSON.parse(formatJson(rec({ fields: { node: 'other@h' } })))._node, 'other@h', 'a node field without a record node is kept')
})

test('no field makes a line throw: cycles, bigints, errors (name, message, code), bytes, functions, symbols, Maps, deep values, a throwing getter', () => {
  const cyc: Record<string, unknown> = { a: 1 }
  cyc.self = cyc
  const err = Object.assign(new RangeError('too big'), { code: 'ERR_X' })
  const hostile = { get boom () { throw new Error('getter') } }
  const deep = { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } }
  const fields = {
    cyc, big: 12345678901234567890n, err, bytes: Buffer.alloc(10), fn: function named () {}, sym: Symbol('s'),
    map: new Map([['k', 1n]]), set: new Set([1, 2]), nan: NaN, undef: undefined, hostile, deep, date: new Date(0)
  }
  const o = JSON.parse(formatJson(rec({ fields })))
  assert.equal(o.cyc, { a: 1, self: '[Circular]' })
  assert.is(o.big, '12345678901234567890')
  assert.equal(o.err, { name: 'RangeError', message: 'too big', code: 'ERR_X' })
  assert.is(o.bytes, '<10 bytes>')
  assert.is(o.fn, '[function named]')
  assert.is(o.sym, 'Symbol(s)')
  assert.equal(o.map, { k: '1' })
  assert.equal(o.set, [1, 2])
  assert.is(o.nan, 'NaN')
  assert.is(o.undef, null)
  assert.match(o.hostile, /^\[unprintable: getter\]$/)
  assert.match(JSON.stringify(o.deep), /\[\.\.\.\]/)
  assert.is(o.date, '1970-01-01T00:00:00.000Z')
  const text = formatRecord(rec({ fields }))
  assert.match(text, /^2026-12-07T23:00:00\.000Z warn tekka:dist m cyc=\{"a":1,"self":"\[Circular\]"\} big=12345678901234567890 err="RangeError: too big"/)
})

test('text lines keep their shape: time, level, part, message, key=value fields', () => {
  assert.is(formatRecord(rec({ fields: { peer: 'a@h', why: 'two words' } })), '2026-12-07T23:00:00.000Z warn tekka:dist m peer=a@h why="two words"')
})

test('forNode stamps the node on every record, its children\'s too; the logger made before the name is the same logger', () => {
  const got: LogRecord[] = []
  const early = createLogger('tekka', (r) => { got.push(r) }, 'info')
  early.info('before')
  const named = early.forNode('n1@127.0.0.1')
  named.info('after')
  named.child('dist').child('handshake').warn('deep')
  assert.equal(got.map((r) => [r.node, r.name, r.msg]), [[undefined, 'tekka', 'before'], ['n1@127.0.0.1', 'tekka', 'after'], ['n1@127.0.0.1', 'tekka:dist:handshake', 'deep']])
  assert.is(named.node, 'n1@127.0.0.1')
  named.debug('filtered: same levels')
  assert.is(got.length, 3)
})

test('consoleLogger: auto is text on a terminal, JSON on a pipe; each record one line; a sink that throws does not reach the caller', () => {
  assert.is(resolveLogFormat('auto', { isTTY: true }), 'text')
  assert.is(resolveLogFormat('auto', {}), 'json')
  assert.is(resolveLogFormat('text', {}), 'text')
  const lines: string[] = []
  const pipe = { write: (s: string) => { lines.push(s) } }
  consoleLogger('tekka', 'info', { stream: pipe, format: 'auto' }).forNode('n1@h').child('dist').info('up', { peer: 'n2@h' })
  consoleLogger('tekka', 'info', { stream: { ...pipe, isTTY: true }, format: 'auto' }).info('to a person')
  assert.is(lines.length, 2)
  assert.ok(lines.every((l) => l.endsWith('\n') && l.indexOf('\n') === l.length - 1))
  const o = JSON.parse(lines[0])
  assert.equal([o.level, o.node, o.part, o.msg, o.peer], ['info', 'n1@h', 'tekka:dist', 'up', 'n2@h'])
  assert.match(lines[1], /^\S+Z info tekka to a person\n$/)
  const broken = consoleLogger('tekka', 'info', { stream: { write: () => { throw new Error('EPIPE') } }, format: 'text' })
  broken.info('nobody hears this')
})

// ---------------------------------------------------------------- repeated lines

test('repeated lines: the first burst per interval pass, then one summary line per interval with the count; other messages are not held back', async () => {
  const clock = new SimulatedClock(0)
  const out: LogRecord[] = []
  const sink = rateLimitedSink((r) => { out.push(r) }, { burst: 3, interval: 10_000, clock })
  const log = createLogger('tekka:dist', sink, 'debug')
  for (let i = 0; i < 1000; i++) log.warn('incoming connection refused', { i })
  log.warn('something else')
  assert.equal(out.map((r) => r.fields?.i ?? r.msg), [0, 1, 2, 'something else'])
  await clock.advance(10_000)
  assert.is(out.length, 5, 'one summary at the end of the interval')
  const s = out[4]
  assert.is(s.msg, 'incoming connection refused (repeated 997 times in the last 10s)')
  assert.equal([s.level, s.name, s.fields?.repeated], ['warn', 'tekka:dist', 997])
  // A new interval: the burst passes again; nothing dropped, no summary.
  for (let i = 0; i < 3; i++) log.warn('incoming connection refused', { i })
  await clock.advance(30_000)
  assert.is(out.length, 8, 'three more, no summary for an interval with nothing dropped')
  assert.is(clock.pending, 0, 'no timer left once nothing is dropped')
})

test('the same message from another part, and the node, are kept apart in the summary', async () => {
  const clock = new SimulatedClock(0)
  const out: LogRecord[] = []
  const sink = rateLimitedSink((r) => { out.push(r) }, { burst: 1, interval: 1000, clock })
  const a = createLogger('tekka:a', sink).forNode('n1@h')
  const b = createLogger('tekka:b', sink).forNode('n1@h')
  for (let i = 0; i < 5; i++) { a.info('x'); b.info('x') }
  assert.is(out.length, 2)
  await clock.advance(1000)
  assert.equal(out.slice(2).map((r) => [r.name, r.node, r.fields?.repeated]), [['tekka:a', 'n1@h', 4], ['tekka:b', 'n1@h', 4]])
})

test('keys are bounded: past maxKeys the oldest is forgotten, its count written first', async () => {
  const clock = new SimulatedClock(0)
  const out: LogRecord[] = []
  const sink = rateLimitedSink((r) => { out.push(r) }, { burst: 1, interval: 1000, maxKeys: 10, clock })
  const log = createLogger('tekka', sink)
  log.warn('first')
  log.warn('first')
  for (let i = 0; i < 10_000; i++) log.warn(`distinct ${i}`)
  // 'first' and 9 others fill the table; the 10th other pushes 'first' out, its summary first.
  assert.equal(out.slice(9, 12).map((r) => r.msg), ['distinct 8', 'first (repeated 1 times in the last 1s)', 'distinct 9'], 'the evicted key\'s count is written, not lost')
  assert.is(out.length, 10_002)
  await clock.advance(1000)
  assert.is(out.length, 10_002, 'distinct messages passed and left nothing to summarize')
  assert.throws(() => rateLimitedSink(() => {}, { burst: 0 }), /burst must be a positive integer/)
})

test('consoleLogger limits repeated lines by default and not with rateLimit: false', () => {
  const lines: string[] = []
  const stream = { write: (s: string) => { lines.push(s) } }
  const limited = consoleLogger('tekka', 'warn', { stream, format: 'text' })
  for (let i = 0; i < 100; i++) limited.warn('flood')
  assert.is(lines.length, 5)
  lines.length = 0
  const unlimited = consoleLogger('tekka', 'warn', { stream, format: 'text', rateLimit: false })
  for (let i = 0; i < 100; i++) unlimited.warn('flood')
  assert.is(lines.length, 100)
})

test.run()
