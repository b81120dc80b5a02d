// Network namespaces for multicast tests: a namespace with only `lo`, up and
// multicast-capable, gone after destroy(); with a resolver (resolv.conf
// inside) and more addresses on lo. Needs root and iproute2: without
// them these tests fail with a MissingSystemError saying so.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { NetnsError, createNamespace, ip, requireNetns } from '../src/netns.js'

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

test.run()
