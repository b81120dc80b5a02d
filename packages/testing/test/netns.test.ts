// Network namespaces for multicast tests: a namespace with only `lo`, up and
// multicast-capable, gone after destroy(); with a resolver (resolv.conf
// inside) and more addresses on lo; a network with IPv6 only, or both
// families, usable at once (no tentative address). Needs root and iproute2:
// without them these tests fail with a MissingSystemError saying so.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { NetnsError, createNamespace, createNetwork, ip, requireNetns } from '../src/netns.js'

test('createNamespace: lo up with multicast and the multicast route; destroy removes it (twice is fine)', () => {
  requireNetns('the netns tests')
  const ns = createNamespace()
  try {
    assert.match(ip('netns', 'list'), ns.ns)
    const lo = ip('-n', ns.ns, 'link', 'show', 'lo')
    assert.match(lo, /MULTICAST/)
    assert.match(lo, /UP/)
    assert.match(ip('-n', ns.ns, 'route', 'show', 'table', 'all'), /224\.0\.0\.0\/4 dev lo/)
  } finally {
    ns.destroy()
    ns.destroy()
  }
  assert.not.match(ip('netns', 'list'), ns.ns)
})

test('createNamespace with a resolver and addresses: processes inside see that resolv.conf and the addresses on lo; destroy removes the file; a bad address is refused with ip\'s reason and leaves nothing', () => {
  requireNetns('the netns tests')
  const ns = createNamespace({ resolver: '127.0.0.1', addresses: ['fd00:7e::9/128', '10.78.0.9/32'] })
  const etc = join('/etc/netns', ns.ns)
  try {
    const r = spawnSync('ip', ['netns', 'exec', ns.ns, 'cat', '/etc/resolv.conf'], { encoding: 'utf8' })
    assert.is(r.stdout, 'nameserver 127.0.0.1\n')
    const lo = ip('-n', ns.ns, 'addr', 'show', 'dev', 'lo')
    assert.match(lo, 'fd00:7e::9/128')
    assert.match(lo, '10.78.0.9/32')
    assert.ok(existsSync(etc))
  } finally {
    ns.destroy()
  }
  assert.not.ok(existsSync(etc), `${etc} removed`)
  assert.not.match(ip('netns', 'list'), ns.ns)
  const before = ip('netns', 'list')
  assert.throws(() => createNamespace({ resolver: '127.0.0.1', addresses: ['not-an-address'] }), (e: unknown) => e instanceof NetnsError && /ip -n tkn-\S+ addr add not-an-address dev lo failed/.test((e as Error).message))
  assert.is(ip('netns', 'list'), before, 'the half-made namespace is gone')
})

test('createNetwork family ipv6: IPv6 addresses only, none tentative, no link-local; both: each host has both; a bad family is refused', () => {
  requireNetns('the netns tests')
  const v6 = createNetwork({ hosts: 2, family: 'ipv6' })
  const both = createNetwork({ hosts: 1, family: 'both' })
  try {
    assert.equal(v6.hosts.map((h) => [h.ip, h.ip6]), [['fd77::11', 'fd77::11'], ['fd77::12', 'fd77::12']])
    assert.is(v6.gateway, 'fd77::1')
    const eth0 = ip('-n', v6.hosts[0].ns, 'addr', 'show', 'dev', 'eth0')
    assert.match(eth0, /inet6 fd77::11\/64/)
    assert.not.match(eth0, /tentative/)
    assert.not.match(eth0, /inet |fe80:/, 'no IPv4 address, no link-local one')
    assert.not.match(ip('-n', v6.hosts[0].ns, 'route', 'show', 'table', 'all'), /224\.0\.0\.0/)
    assert.equal([both.hosts[0].ip, both.hosts[0].ip6], ['10.77.0.11', 'fd77::11'])
    assert.match(ip('-n', both.hosts[0].ns, 'addr', 'show', 'dev', 'eth0'), /inet 10\.77\.0\.11\/24[^]*inet6 fd77::11\/64/)
  } finally {
    v6.destroy()
    both.destroy()
  }
  assert.throws(() => createNetwork({ hosts: 1, family: 'ipv5' as 'ipv6' }), /family must be ipv4, ipv6 or both, got ipv5/)
})

test.run()
