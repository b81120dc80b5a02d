// Network namespaces for multicast tests: a namespace with only `lo`, up and
// multicast-capable, gone after destroy(). Needs root and iproute2: without
// them these tests fail with a MissingSystemError saying so.
import { test } from 'uvu'
import * as assert from 'uvu/assert'
import { createNamespace, ip, requireNetns } from '../src/netns.js'

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

test.run()
