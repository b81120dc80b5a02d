// The codec against mutated terms that a real erl produced: a corpus of
// every term type (term_to_binary with and without {minor_version, 2} and
// [compressed]) mutated 10,000+ times (flipped, inserted, deleted and
// truncated bytes, ETF tags and boundary length fields written in). Each
// mutant decodes to a value that encodes and decodes back to an equal term,
// or fails with an EtfDecodeError; nothing else, and no decode hangs. Then
// the mutants we decoded (up to 2000) go to Erlang too: where Erlang's
// binary_to_term reads them, it must read the same term, and where it does
// not, the mutant must be an identifier of Erlang's own node (which Erlang
// checks against what it made; no one else can). And the other way: of the
// first 3000 mutants we refused, those Erlang reads are refused for a reason
// this codec states (bytes after the term, which binary_to_term ignores; a
// reference of 0 words; Erlang's internal atom-index tags 73 and 75), never
// because we misread a valid term.
//
// Replay: TEKKA_ETF_FUZZ_SEED=<the seed printed>; size: TEKKA_ETF_FUZZ
// (default 20000; 3000 in the unit tier).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { sized } from '@tekka/testing'
import { ErlangPeer } from '@tekka/testing/erlang'
import { envSeed } from '@tekka/testing/sim/rng'
import { decode, termEquals, type EtfDecodeError, type Term } from '../src/index.js'
import { fuzzTerms } from './helpers/etf-fuzz.js'

const TERMS = [
  '0', '-1', '255', '256', '1 bsl 27', '1 bsl 31', '-(1 bsl 31) - 1', '1 bsl 53', '-(1 bsl 64)', '1 bsl 2048', '2.5', '-0.0', '1.0e300',
  "''", 'ok', "'héllo'", "'日本語'", 'list_to_atom(lists:duplicate(255, $a))', 'list_to_atom(lists:duplicate(200, 26085))',
  '<<>>', '<<"abc">>', 'binary:copy(<<7>>, 300)', '<<5:3>>', '<<255, 1:1>>', '<<1, 2, 127:7>>',
  '""', '"hello"', '[26085, 26412]', '[1, 2, 3]', '[a, [b, []], {c}]', '[1 | 2]', '[a, b | <<"t">>]', 'lists:seq(1, 300)',
  '{}', '{ok, 1}', 'list_to_tuple(lists:seq(1, 260))', '#{}', '#{a => 1, {b, 2} => [c], <<"k">> => #{x => 2.5}}',
  'maps:from_list([{I, integer_to_binary(I)} || I <- lists:seq(1, 40)])',
  'self()', 'make_ref()', 'hd(erlang:ports())',
  'binary_to_term(<<131, 88, 119, 3, "a@b", 0, 0, 0, 1, 0, 0, 0, 2, 255, 255, 255, 255>>)',
  'binary_to_term(<<131, 120, 119, 3, "a@b", 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 7>>)',
  'lists:foldl(fun (_, A) -> {A, [A]} end, x, lists:seq(1, 12))',
  '{self(), make_ref(), [1.5, -(1 bsl 100), "s", <<"b">>, #{k => {v}}, ok | tail]}'
]

const OPTIONS = ['[]', '[{minor_version, 2}]', '[compressed]', '[{compressed, 9}, {minor_version, 2}]']

/** How many of the mutants we decoded are checked against Erlang's reading of them. */
const DIFFERENTIAL = 2000
/** How many of the mutants we refused are checked against Erlang's reading of them. */
const REFUSED_DIFFERENTIAL = 3000
/** What this codec refuses on purpose that Erlang's binary_to_term reads. */
const STRICTER_THAN_ERLANG: ReadonlyArray<(e: EtfDecodeError) => boolean> = [
  (e) => e.code === 'ERR_ETF_TRAILING_BYTES',
  (e) => e.code === 'ERR_ETF_BAD_TERM' && /a reference of 0 words/.test(e.message),
  (e) => e.code === 'ERR_ETF_UNKNOWN_TAG' && (e.tag === 73 || e.tag === 75)
]
/** The name of the erl node (not distributed), in its pids, references and ports. */
const OWN_NODE = Buffer.from('nonode@nohost')

let erl: ErlangPeer
test.before(async () => { erl = await ErlangPeer.start() })
test.after(async () => { await erl.stop() })

test('mutated terms from erl: a value that goes round or the codec\'s error, never anything else; Erlang reads what we read', async () => {
  const listed = decode(await erl.eval(`term_to_binary([term_to_binary(T, O) || T <- [${TERMS.join(', ')}], O <- [${OPTIONS.join(', ')}]])`))
  assert.ok(Array.isArray(listed))
  const corpus = (listed as Term[]).map((b) => { assert.ok(Buffer.isBuffer(b)); return b })
  assert.is(corpus.length, TERMS.length * OPTIONS.length)
  for (const b of corpus) decode(b)

  const seed = envSeed('TEKKA_ETF_FUZZ_SEED')
  const count = sized(20_000, 3_000, 'TEKKA_ETF_FUZZ')
  const r = fuzzTerms(corpus, count, seed, DIFFERENTIAL, REFUSED_DIFFERENTIAL)
  console.log(`  fuzz seed ${seed}: ${count} mutants of ${corpus.length} terms from erl, ${r.accepted} decoded, errors ${JSON.stringify(r.byCode)}, slowest ${r.maxMs.toFixed(1)} ms`)
  assert.ok(r.accepted > 0 && r.accepted < count, 'some mutants decode and some do not')

  let erlangRefused = 0
  for (const { bytes, term, ops } of r.acceptedSamples) {
    const theirs = await erl.decode(bytes)
    if (theirs === undefined) {
      // Erlang checks the pids, references and ports of its own node against
      // what it can have made (a pid number has 28 bits there); those of
      // other nodes it takes as they come, and so does this codec.
      assert.ok(bytes.includes(OWN_NODE), `seed ${seed}, ${ops.join(' ')}: Erlang refused ${bytes.toString('hex')}, which we decode to ${String(term)}`)
      erlangRefused++
      continue
    }
    const read = decode(theirs, { floats: 'boxed' })
    assert.ok(termEquals(read, decode(bytes, { floats: 'boxed' })), `seed ${seed}, ${ops.join(' ')}: Erlang reads ${bytes.toString('hex')} as another term than we do`)
    assert.ok(termEquals(decode(theirs), term))
  }
  console.log(`  of ${r.acceptedSamples.length} mutants we decoded, Erlang read the same term from ${r.acceptedSamples.length - erlangRefused} and refused ${erlangRefused}`)

  let erlangRead = 0
  for (const { bytes, error, ops } of r.refusedSamples) {
    if (await erl.decode(bytes) === undefined) continue
    erlangRead++
    assert.ok(STRICTER_THAN_ERLANG.some((known) => known(error)), `seed ${seed}, ${ops.join(' ')}: we refuse ${bytes.toString('hex')} (${error.message}), which Erlang reads`)
  }
  console.log(`  of ${r.refusedSamples.length} mutants we refused, Erlang refused ${r.refusedSamples.length - erlangRead} and read ${erlangRead}, each refused here on purpose`)
})

test('the peer is still there and sane after the fuzz', async () => {
  assert.is(await erl.compare('{ok, 1}', Buffer.from([131, 104, 2, 100, 0, 2, 111, 107, 97, 1])), 'true')
})

test.run()
