/**
 * Ping-pong between two `tekka` nodes, in one command:
 *
 *   node examples/build/ping-pong/run.js [--base-port 4370]
 *
 * It starts `tekka --name pong@127.0.0.1 pong.js`, then `tekka --name
 * ping@127.0.0.1 --port 0 ping.js` (two OS processes), prints both nodes'
 * lines prefixed with their names, and when ping says it is waiting for the
 * pong node to go away, kills that node with SIGKILL. Once ping has seen the
 * EXIT, the DOWN and the nodedown it says `done`; the launcher stops it and
 * exits 0 (1 if that did not happen within 60 s).
 */
import { fileURLToPath } from 'node:url'
import { Launcher, readFlags, UsageError } from '../lib/launcher.js'
import { chooseBasePort } from '../lib/ports.js'
import { spawnTekka } from '../lib/tekka-process.js'

const PING = fileURLToPath(new URL('./ping.js', import.meta.url))
const PONG = fileURLToPath(new URL('./pong.js', import.meta.url))
const PONG_NODE = 'pong@127.0.0.1'
const PING_NODE = 'ping@127.0.0.1'

async function main (): Promise<number> {
  const flags = readFlags(process.argv.slice(2), { 'base-port': 'number' })
  const base = (flags['base-port'] as number | undefined) ?? await chooseBasePort([PONG_NODE])
  const launcher = new Launcher('tekka-ping-pong-')
  const say = (text: string): void => { process.stdout.write(`${text}\n`) }
  const common = (name: string): Record<string, string | number> => ({
    'node.dist_base_port': base,
    'node.data_dir': launcher.dataDirOf(name)
  })
  const echo = (tag: string) => (text: string): void => { say(`[${tag}] ${text}`) }

  let code = 1
  try {
    const pong = spawnTekka({ name: PONG_NODE, cookie: launcher.cookie, app: PONG, settings: common(PONG_NODE) })
    say(`run: tekka --name ${PONG_NODE} pong.js (pid ${pong.pid}, port ${base})`)
    pong.on('line', echo('pong'))
    await pong.waitForLine(/^tekka: app .* started/, 30_000, launcher.signal)

    const ping = spawnTekka({ name: PING_NODE, cookie: launcher.cookie, app: PING, args: ['--port', '0'], settings: common(PING_NODE), env: { PONG_NODE } })
    say(`run: tekka --name ${PING_NODE} --port 0 ping.js (pid ${ping.pid})`)
    ping.on('line', echo('ping'))
    const outcome = await Promise.race([
      ping.waitForLine(/^ping: .*waiting for the pong node to go away/, 60_000, launcher.signal).then(() => 'waiting'),
      ping.waitForLine(/^ping: failed/, 60_000, launcher.signal).then(() => 'failed')
    ])
    if (outcome === 'waiting') {
      say(`run: kill -9 ${PONG_NODE} (pid ${pong.pid})`)
      pong.kill('SIGKILL')
      const end = await Promise.race([
        ping.waitForLine(/^ping: done/, 30_000, launcher.signal).then(() => 'done'),
        ping.waitForLine(/^ping: failed/, 30_000, launcher.signal).then(() => 'failed')
      ])
      if (end === 'done') code = 0
    }
  } catch (err) {
    if (!launcher.signal.aborted) say(`run: failed: ${(err as Error).message}`)
    else code = 0
  }
  say('run: stopping the nodes')
  await launcher.shutdown()
  say(code === 0 ? 'run: done' : 'run: failed')
  return code
}

main().then((code) => { process.exitCode = code }, (err: unknown) => {
  process.stderr.write(`ping-pong: ${(err as Error).message}\n`)
  process.exitCode = err instanceof UsageError ? 2 : 1
})
