#!/usr/bin/env node
/**
 * Entry point of the `tekka` command. A node must survive whatever its
 * processes do, so stray rejections and exceptions from code outside the
 * runtime's reach are logged rather than allowed to end the node.
 */
import { main } from './cli.js'

process.on('unhandledRejection', (reason) => {
  process.stderr.write(`tekka: unhandled rejection (ignored): ${reason instanceof Error ? reason.stack ?? reason.message : String(reason)}\n`)
})
process.on('uncaughtException', (err) => {
  process.stderr.write(`tekka: uncaught exception (ignored): ${err.stack ?? err.message}\n`)
})

main().then((code) => { process.exit(code) }, (err: unknown) => {
  process.stderr.write(`tekka: ${String(err)}\n`)
  process.exit(1)
})
