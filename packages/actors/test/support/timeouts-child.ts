// For timeouts.test: on the real clock, answered calls (their 5 s timeouts
// cancelled), one call that times out after 50 ms, then nothing pending:
// the process must exit by itself at once.
import { CallTimeoutError, call, createRuntime, noreply, reply, silentLogger, startGenServer } from '../../src/index.js'

const rt = createRuntime({ node: 'child@localhost', logger: silentLogger() })
const server = await startGenServer(rt, {
  init: () => 0,
  handleCall: (req: string, _from: unknown, n: number) => req === 'ignore' ? noreply(n) : reply(n + 1, n + 1)
}, undefined)
let last = 0
for (let i = 0; i < 1000; i++) last = await call<number>(rt, server, 'next')
console.log(`replied ${last === 1000 ? 1 : 0}`)
const t0 = performance.now()
try {
  await call(rt, server, 'ignore', { timeout: 50 })
} catch (err) {
  const ms = performance.now() - t0
  if (err instanceof CallTimeoutError && ms >= 50 && ms < 1000) console.log('timed out after 50 ms')
  else console.log(`unexpected: ${String(err)} after ${ms} ms`)
}
// One more answered call last: its cancelled 5 s timeout is what is left armed.
await call(rt, server, 'next')
console.log('done')
