// Pids and references between Erlang terms and a tekka runtime (no erl):
// serials in the high bits, this node's creation both ways, what stays an
// ErlPid / ErlRef, and the walk through tuples, lists, maps and improper lists.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Pid, Ref } from '@tekka/actors'
import { ErlPid, ErlRef, ImproperList, PidMapping, type Tuple, atom, tuple } from '../src/index.js'

const m = new PidMapping({ node: 'tk@127.0.0.1', erlCreation: 7, tekkaCreation: 99 })

test('an Erlang pid is a tekka Pid (serial above 32 bits of id); this node\'s Erlang creation is the runtime\'s; and back', () => {
  const local = m.pidToTekka(new ErlPid(atom('tk@127.0.0.1'), 5, 2, 7))
  assert.ok(local instanceof Pid && local.equals(new Pid('tk@127.0.0.1', 2 * 2 ** 32 + 5, 99)))
  const back = m.pidToErlang(local)
  assert.equal([back.node, back.id, back.serial, back.creation], [atom('tk@127.0.0.1'), 5, 2, 7])
  // Another incarnation of this node, and another node: creation kept.
  assert.is((m.pidToTekka(new ErlPid(atom('tk@127.0.0.1'), 5, 0, 8)) as Pid).creation, 8)
  const remote = m.pidToTekka(new ErlPid(atom('e1@127.0.0.1'), 40, 0, 3)) as Pid
  assert.ok(remote.equals(new Pid('e1@127.0.0.1', 40, 3)))
  assert.is(m.pidToErlang(remote).creation, 3)
  // A serial beyond 2^21 does not fit a safe integer: it stays an ErlPid.
  const huge = new ErlPid(atom('e1@127.0.0.1'), 1, 2 ** 21, 3)
  assert.is(m.pidToTekka(huge), huge)
})

test('a tekka Ref goes out as a 2-word reference and comes back as itself; erl\'s own references stay ErlRefs', () => {
  const r = new Ref('tk@127.0.0.1', 2 ** 33 + 4, 99)
  const out = m.refToErlang(r)
  assert.equal([out.node, out.creation, out.ids], [atom('tk@127.0.0.1'), 7, [4, 2]])
  assert.ok((m.refToTekka(out) as Ref).equals(r))
  const erls = new ErlRef(atom('tk@127.0.0.1'), 7, [1, 2, 3])
  assert.is(m.refToTekka(erls), erls)
  const other = new ErlRef(atom('e1@127.0.0.1'), 7, [4, 2])
  assert.is(m.refToTekka(other), other)
})

test('toTekka and toErlang walk tuples, lists, maps and improper lists', () => {
  const p = new ErlPid(atom('e1@127.0.0.1'), 40, 0, 3)
  const t = m.toTekka(tuple(atom('a'), [p, new Map([[p, 1]])], new ImproperList([p], p))) as Tuple
  const [a, list, improper] = t.elements as unknown[]
  assert.is(a, atom('a'))
  const [lp, map] = list as [Pid, Map<unknown, unknown>]
  assert.instance(lp, Pid)
  assert.instance([...map.keys()][0], Pid)
  assert.instance((improper as ImproperList).tail, Pid)
  const e = m.toErlang(t) as Tuple
  assert.instance(((e.elements[1] as unknown[])[0]), ErlPid)
  assert.instance((e.elements[2] as ImproperList).items[0], ErlPid)
})

test.run()
