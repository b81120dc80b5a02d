// A cluster started from configs written for ekka and EMQX, as is, by real
// `tekka --config FILE` processes: two nodes with an EMQX 5 emqx.conf
// (HOCON: objects in braces, dotted keys, a seeds array, `discovery_strategy`,
// `dist_net_ticktime`) and one with an ekka / EMQX 4 `key = value` file
// (`cluster.discovery`, comma-separated seeds, `on`) form one cluster by
// static discovery; a node whose emqx.conf asks for EMQX's `mcast` strategy
// does not start, and says why with the file and line.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import * as ports from '@tekka/testing/ports'
import { ProcCluster, oneCluster } from './support/cluster.js'

const base = await ports.freePortRange(6)
const c = new ProcCluster(base)
const name = (i: number): string => `n${i}@127.0.0.1`
const three = [1, 2, 3].map(name)

test.after(async () => { await c.stop() })

/** An EMQX 5 emqx.conf for node `i`; `tekka` keys only where ekka has none (the test's port base, a short autocluster interval). */
function emqxConf (i: number, strategy = 'static'): string {
  return `## emqx.conf (EMQX 5)
node {
  name = "${name(i)}"
  cookie = "${c.cookie}"
  data_dir = "${c.dataDir(name(i))}"
  dist_net_ticktime = 20s
  dist_base_port = ${base}        // tekka's: ekka derives the port the same way
}

cluster {
  name = tekka
  discovery_strategy = ${strategy}   # manual | static | dns | etcd | k8s
  autoheal = true
  autoclean = 5m
  autocluster_interval = 1s
  static {
    seeds = [
      "${three[0]}",
      "${three[1]}", "${three[2]}"
    ]
  }
}
`
}

/** An ekka / EMQX 4 style `key = value` file for node `i`. */
function ekkaConf (i: number): string {
  return [
    '## ekka.conf (ekka, EMQX 4)',
    `node.name = ${name(i)}`,
    `node.cookie = ${c.cookie}`,
    `node.data_dir = ${c.dataDir(name(i))}`,
    `node.dist_base_port = ${base}`,
    'cluster.name = tekka',
    'cluster.discovery = static',
    'cluster.autoheal = on',
    'cluster.autoclean = 5m',
    'cluster.autocluster_interval = 1s',
    `cluster.static.seeds = ${three.join(',')}`
  ].join('\n') + '\n'
}

test('two nodes with an EMQX 5 emqx.conf and one with an ekka.conf, as written, form one cluster by static discovery', async () => {
  await Promise.all([
    c.start({ name: name(1), file: { name: 'emqx.conf', text: emqxConf(1) } }),
    c.start({ name: name(2), file: { name: 'emqx.conf', text: emqxConf(2) } }),
    c.start({ name: name(3), file: { name: 'ekka.conf', text: ekkaConf(3) } })
  ])
  const view = await oneCluster(c, three)
  assert.equal(view.members.map((m) => m.node).sort(), three)
  for (const n of three) {
    const ac = await c.ctlJson<{ strategy: string }>(n, ['autocluster', 'status'])
    assert.is(ac?.strategy, 'static', `${n} runs the static strategy its file names`)
  }
})

test('a node whose emqx.conf says discovery_strategy = mcast does not start: exit 1, the key, why, and the file and line', async () => {
  const p = c.spawn({ name: name(4), file: { name: 'emqx.conf', text: emqxConf(4, 'mcast') } })
  const exit = await p.exited
  assert.is(exit.code, 1)
  const err = p.output('stderr')
  assert.match(err, /cluster\.discovery_strategy \(tekka's cluster\.discovery\): "mcast" is not supported: ekka's UDP multicast discovery is not in tekka/)
  assert.match(err, /cluster\.discovery = mdns/)
  assert.match(err, /n4_127\.0\.0\.1-emqx\.conf:12\]/)
})

test.run()
