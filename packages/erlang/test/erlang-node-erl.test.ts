// A tekka runtime on Erlang's distribution against real erl (OTP 25), with
// the test's own epmd: net_adm:ping both ways, erl sending to a registered
// tekka process and getting an answer at its pid (REG_SEND in, SEND out),
// tekka sending to a registered erl process on demand (REG_SEND out, SEND
// in), a message large enough that erl fragments it, and all of it again
// with pass-through packets (no atom cache advertised).
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { Pid } from '@tekka/actors'
import { Epmd, ErlNode } from '@tekka/testing/erl-node'
import { DEFAULT_DFLAGS, Tuple, atom, startErlangNode, termEquals, tuple, type ErlangNode, type Term } from '../src/index.js'

const TK = 'tk@127.0.0.1'
const E1 = 'e1@127.0.0.1'
let epmd: Epmd
const cleanups: Array<() => Promise<void>> = []

async function erl (): Promise<ErlNode> {
  const n = await ErlNode.start({ name: E1, cookie: 'sesame', epmdPort: epmd.port })
  cleanups.push(async () => { await n.stop() })
  return n
}

async function tekka (opts: Partial<Parameters<typeof startErlangNode>[0]> = {}): Promise<ErlangNode> {
  const n = await startErlangNode({ name: TK, cookie: 'sesame', epmdPort: epmd.port, ...opts })
  cleanups.push(async () => { await n.stop() })
  return n
}

/** A tekka process `box` that answers `{Tag, From, X}` with `{echo, Tag, X}` at From (X a binary: its size). */
function echoBox (node: ErlangNode, seen: unknown[]): void {
  node.runtime.spawn(async (ctx) => {
    for (;;) {
      const m = await ctx.receive()
      seen.push(m)
      if (m instanceof Tuple && m.size === 3 && m.elements[1] instanceof Pid) {
        const x = m.elements[2]
        ctx.send(m.elements[1], tuple(atom('echo'), m.elements[0], x instanceof Buffer && x.length > 1000 ? x.length : x))
      }
    }
  }, { name: 'box' })
}

test.before(async () => { epmd = await Epmd.start() })
test.after.each(async () => { for (const c of cleanups.splice(0).reverse()) await c() })
test.after(async () => { await epmd.stop() })

for (const mode of ['atom cache', 'pass-through'] as const) {
  const flags = mode === 'pass-through' ? { flags: DEFAULT_DFLAGS } : {}

  test(`${mode}: net_adm:ping from erl answers pong (our net_kernel's is_auth); ping from tekka answers pong, an unknown node pang`, async () => {
    const e1 = await erl()
    const tk = await tekka(flags)
    assert.is(await e1.eval(`net_adm:ping('${TK}')`), '{ok,pong}')
    assert.is(await tk.ping(E1), 'pong')
    assert.is(await tk.ping('nobody@127.0.0.1', { timeout: 2000 }), 'pang')
    assert.is(await e1.eval('net_adm:ping(\'nobody@127.0.0.1\')'), '{ok,pang}')
  })

  test(`${mode}: erl sends to a registered tekka process (REG_SEND), pids map to tekka Pids, the answer reaches erl's pid (SEND); a fragmented binary too`, async () => {
    const e1 = await erl()
    const tk = await tekka(flags)
    const seen: unknown[] = []
    echoBox(tk, seen)
    const got = await e1.eval(`{box, '${TK}'} ! {hello, self(), {[1, 2.5, <<"bin">>, #{k => v}], 'true'}}, receive {echo, _, _} = R -> R after 5000 -> timeout end`)
    assert.is(got, '{ok,{echo,hello,{[1,2.5,<<98,105,110>>,#{k => v}],true}}}')
    const m = seen[0] as Tuple
    assert.instance(m.elements[1], Pid)
    assert.is((m.elements[1] as unknown as Pid).node, E1)
    // erl fragments messages beyond 64 KiB when the peer takes fragments.
    const big = await e1.eval(`{box, '${TK}'} ! {big, self(), binary:copy(<<7>>, 300000)}, receive {echo, _, _} = R -> R after 10000 -> timeout end`)
    assert.is(big, '{ok,{echo,big,300000}}')
  })

  test(`${mode}: tekka sends to a registered erl process before any link (dial on demand, REG_SEND), erl answers at the tekka pid (SEND), with a tekka Ref round-tripped`, async () => {
    const e1 = await erl()
    const tk = await tekka(flags)
    assert.is(await e1.eval('register(inbox, spawn(fun Loop() -> receive {ask, From, Ref, X} -> From ! {answer, Ref, X, self()}, Loop() end end)), ok'), '{ok,ok}')
    const reply = await tk.runtime.run(async (ctx) => {
      const ref = ctx.makeRef()
      ctx.send({ name: 'inbox', node: E1 }, tuple(atom('ask'), ctx.self as never, ref as never, [1, Buffer.from('x')]))
      const r = await ctx.receive(undefined, { timeout: 10_000 })
      return { r, ref }
    })
    assert.instance(reply.r, Tuple)
    const [tag, ref, x, from] = (reply.r as Tuple).elements as Term[]
    assert.is(tag, atom('answer'))
    assert.ok(reply.ref.equals(ref), `the tekka Ref came back as itself: ${String(ref)} ${String(reply.r)}`)
    assert.ok(termEquals(x, [1, Buffer.from('x')]))
    assert.instance(from, Pid)
    // And a SEND to that erl pid straight from tekka.
    const again = await tk.runtime.run(async (ctx) => {
      ctx.send(from as never, tuple(atom('ask'), ctx.self as never, 1, 2))
      return await ctx.receive(undefined, { timeout: 10_000 })
    })
    assert.instance(again, Tuple)
    const [t2, one, two, from2] = (again as Tuple).elements as Term[]
    assert.equal([t2, one, two], [atom('answer'), 1, 2])
    assert.ok((from as unknown as Pid).equals(from2), 'the same erl process, as the same tekka Pid')
  })
}

test.run()
