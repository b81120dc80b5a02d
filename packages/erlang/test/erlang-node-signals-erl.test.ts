// Links, exit signals and monitors between tekka processes and real erl
// processes (OTP 25, the test's own epmd), both ways, with Erlang's rules:
// a linked process's death, exit/2 and kill, unlink (UNLINK_ID and its
// ack), monitors by pid and by name, DOWN reasons, and noconnection when
// the erl node goes away.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { type Pid, isDownMessage, isExitMessage, type ProcessContext } from '@tekka/actors'
import { eventually } from '@tekka/testing/wait'
import { Epmd, ErlNode } from '@tekka/testing/erl-node'
import { Atom, Tuple, atom, startErlangNode, tuple, type ErlangNode } from '../src/index.js'

const TK = 'tk@127.0.0.1'
const E1 = 'e1@127.0.0.1'
let epmd: Epmd
const cleanups: Array<() => Promise<void>> = []

test.before(async () => { epmd = await Epmd.start() })
test.after.each(async () => { for (const c of cleanups.splice(0).reverse()) await c() })
test.after(async () => { await epmd.stop() })

interface Setup { e1: ErlNode, tk: ErlangNode, agent: Pid, seen: unknown[] }

/**
 * erl and a tekka node with `agent`, a process trapping exits that obeys
 * `{link, P}`, `{unlink, P}`, `{monitor, P}` (each answered `done` at P),
 * `{pid, P}` (answered `{pid, Self}`) and `{exit, Reason}`; it records every
 * EXIT and DOWN it gets.
 */
async function setup (trap = true): Promise<Setup> {
  const e1 = await ErlNode.start({ name: E1, cookie: 'sesame', epmdPort: epmd.port })
  cleanups.push(async () => { await e1.stop() })
  const tk = await startErlangNode({ name: TK, cookie: 'sesame', epmdPort: epmd.port })
  cleanups.push(async () => { await tk.stop() })
  const seen: unknown[] = []
  const agent = tk.runtime.spawn(async (ctx: ProcessContext) => {
    ctx.trapExit(trap)
    for (;;) {
      const m = await ctx.receive()
      if (isExitMessage(m) || isDownMessage(m)) { seen.push(m); continue }
      if (!(m instanceof Tuple) || !(m.elements[0] instanceof Atom)) continue
      const [op, arg] = m.elements
      const p = arg as unknown as Pid
      switch ((op).name) {
        case 'link': ctx.link(p); ctx.send(p, atom('done')); break
        case 'unlink': ctx.unlink(p); ctx.send(p, atom('done')); break
        case 'monitor': ctx.monitor(p); ctx.send(p, atom('done')); break
        case 'pid': ctx.send(p, tuple(atom('pid'), ctx.self as never)); break
        case 'exit': ctx.exit((arg as Atom).name)
      }
    }
  }, { name: 'agent' })
  return { e1, tk, agent, seen }
}

const A = `{agent, '${TK}'}`

test('tekka links to an erl process: the tekka process\'s death reaches erl as EXIT with its reason; an erl process\'s death reaches tekka', async () => {
  const { e1, tk, agent } = await setup()
  assert.is(await e1.eval(`process_flag(trap_exit, true), ${A} ! {link, self()}, receive done -> ok after 5000 -> timeout end`), '{ok,ok}')
  const dead = tk.runtime.wait(agent)
  assert.is(await e1.eval(`${A} ! {exit, boom}, receive {'EXIT', _, R} -> R after 5000 -> timeout end`), '{ok,boom}')
  assert.is(await dead, 'boom')
  // The other way: an erl process links to a tekka process, then exits.
  const s2 = await setup2(tk)
  assert.is(await e1.eval(`spawn(fun() -> ${'{agent2, \'' + TK + '\'}'} ! {link, self()}, receive done -> exit(bye) end end), ok`), '{ok,ok}')
  await eventually(() => s2.seen.length === 1, { message: 'EXIT at tekka' })
  const exit = s2.seen[0] as { from: Pid, reason: unknown }
  assert.is(exit.reason, 'bye')
  assert.is(exit.from.node, E1)
})

/** A second agent (registered agent2) on the same node. */
async function setup2 (tk: ErlangNode): Promise<{ seen: unknown[] }> {
  const seen: unknown[] = []
  tk.runtime.spawn(async (ctx) => {
    ctx.trapExit(true)
    for (;;) {
      const m = await ctx.receive()
      if (isExitMessage(m) || isDownMessage(m)) { seen.push(m); continue }
      if (m instanceof Tuple && m.elements[0] === atom('link')) { ctx.link(m.elements[1] as unknown as Pid); ctx.send(m.elements[1] as unknown as Pid, atom('done')) }
      if (m instanceof Tuple && m.elements[0] === atom('unlink')) { ctx.unlink(m.elements[1] as unknown as Pid); ctx.send(m.elements[1] as unknown as Pid, atom('done')) }
      if (m instanceof Tuple && m.elements[0] === atom('monitor')) { ctx.monitor(m.elements[1] as unknown as Pid); ctx.send(m.elements[1] as unknown as Pid, atom('done')) }
    }
  }, { name: 'agent2' })
  return { seen }
}

test('erl links to a tekka process (LINK in): a tekka process not trapping dies with the erl process\'s reason; exit/2 kill kills; normal is ignored', async () => {
  const { e1, tk, agent } = await setup(false)
  assert.is(await e1.eval(`${A} ! {pid, self()}, receive {pid, P} -> put(p, P), ok after 5000 -> timeout end`), '{ok,ok}')
  // exit(P, normal) from another process: ignored by a process not trapping exits.
  assert.is(await e1.eval('exit(get(p), normal), ok'), '{ok,ok}')
  assert.is(await e1.eval(`${A} ! {pid, self()}, receive {pid, _} -> alive after 5000 -> timeout end`), '{ok,alive}')
  assert.is(await e1.eval('P = get(p), spawn(fun() -> link(P), receive after 100 -> exit(crashed) end end), ok'), '{ok,ok}')
  assert.is(await tk.runtime.wait(agent), 'crashed')
  // exit/2 with kill: cannot be trapped.
  const { agent: a3 } = await setupTrapping(tk)
  const killed = tk.runtime.wait(a3)
  assert.is(await e1.eval(`{agent3, '${TK}'} ! {pid, self()}, receive {pid, P3} -> exit(P3, kill), ok after 5000 -> timeout end`), '{ok,ok}')
  assert.is(await killed, 'killed')
})

async function setupTrapping (tk: ErlangNode): Promise<{ agent: Pid }> {
  const agent = tk.runtime.spawn(async (ctx) => {
    ctx.trapExit(true)
    for (;;) {
      const m = await ctx.receive()
      if (m instanceof Tuple && m.elements[0] === atom('pid')) ctx.send(m.elements[1] as unknown as Pid, tuple(atom('pid'), ctx.self as never))
    }
  }, { name: 'agent3' })
  return { agent }
}

test('unlink from erl (UNLINK_ID, acknowledged): the tekka process\'s death no longer reaches erl; unlink from tekka likewise', async () => {
  const { e1, tk, agent } = await setup()
  assert.is(await e1.eval(`process_flag(trap_exit, true), ${A} ! {link, self()}, receive done -> ok after 5000 -> timeout end`), '{ok,ok}')
  assert.is(tk.runtime.processInfo(agent)?.links.length, 1)
  assert.is(await e1.eval(`${A} ! {pid, self()}, receive {pid, P} -> unlink(P), ok after 5000 -> timeout end`), '{ok,ok}')
  await eventually(() => tk.runtime.processInfo(agent)?.links.length === 0, { message: 'the link gone on the tekka side too' })
  const dead = tk.runtime.wait(agent)
  assert.is(await e1.eval(`${A} ! {exit, boom}, receive {'EXIT', _, R} -> R after 1500 -> no_exit end`), '{ok,no_exit}')
  assert.is(await dead, 'boom')
  const s2 = await setup2(tk)
  // tekka unlinks (UNLINK_ID out): erl's death no longer reaches it.
  assert.is(await e1.eval(`{agent2, '${TK}'} ! {link, self()}, receive done -> ok after 5000 -> timeout end`), '{ok,ok}')
  assert.is(await e1.eval(`{_, R} = spawn_monitor(fun() -> {agent2, '${TK}'} ! {link, self()}, receive done -> {agent2, '${TK}'} ! {unlink, self()}, receive done -> exit(after_unlink) end end end), receive {'DOWN', R, _, _, X} -> X end`), '{ok,after_unlink}')
  assert.is(await e1.eval(`spawn(fun() -> {agent2, '${TK}'} ! {link, self()}, receive done -> exit(linked_one) end end), ok`), '{ok,ok}')
  await eventually(() => s2.seen.length === 1, { message: 'the linked one\'s EXIT' })
  assert.equal(s2.seen.map((m) => (m as { reason: unknown }).reason), ['linked_one'])
})

test('monitors: erl monitors a tekka process by pid and by name (DOWN with the reason, the name as the monitored), tekka monitors an erl process; demonitor', async () => {
  const { e1, tk } = await setup()
  assert.is(await e1.eval(`${A} ! {pid, self()}, receive {pid, P} -> put(p, P), ok after 5000 -> timeout end`), '{ok,ok}')
  assert.is(await e1.eval(`R1 = erlang:monitor(process, get(p)), R2 = erlang:monitor(process, ${A}), R3 = erlang:monitor(process, get(p)), erlang:demonitor(R3), put(refs, {R1, R2}), ok`), '{ok,ok}')
  assert.is(await e1.eval(`${A} ! {exit, gone}, {R1, R2} = get(refs), P = get(p), A = receive {'DOWN', R1, process, P, X} -> X after 5000 -> timeout end, B = receive {'DOWN', R2, process, {agent, '${TK}'}, Y} -> Y after 5000 -> timeout end, C = receive {'DOWN', _, _, _, _} -> extra after 500 -> none end, {A, B, C}`), '{ok,{gone,gone,none}}')
  // tekka monitors an erl process.
  const s2 = await setup2(tk)
  assert.is(await e1.eval(`spawn(fun() -> {agent2, '${TK}'} ! {monitor, self()}, receive done -> exit(finished) end end), ok`), '{ok,ok}')
  await eventually(() => s2.seen.length === 1, { message: 'DOWN at tekka' })
  const down = s2.seen[0] as { type: string, pid: Pid, reason: unknown }
  assert.is(down.type, 'DOWN')
  assert.is(down.reason, 'finished')
  assert.is(down.pid.node, E1)
})

test('the erl node goes away: links to its processes get noconnection, monitors DOWN noconnection', async () => {
  const { e1, tk, seen } = await setup()
  assert.is(await e1.eval(`${A} ! {link, self()}, receive done -> ok after 5000 -> timeout end`), '{ok,ok}')
  assert.is(await e1.eval(`${A} ! {monitor, self()}, receive done -> ok after 5000 -> timeout end`), '{ok,ok}')
  e1.kill()
  await eventually(() => seen.length === 2, { message: 'EXIT and DOWN noconnection', timeout: 15_000 })
  assert.equal(seen.map((m) => [(m as { type: string }).type, (m as { reason: unknown }).reason]).sort(), [['DOWN', 'noconnection'], ['EXIT', 'noconnection']])
  assert.ok(tk.dist.nodes().length === 0)
})

test.run()
