/**
 * Helpers for the core runtime tests: every wait in a test is bounded, so a
 * regression fails the test instead of hanging the suite.
 */
import { createRuntime, isDownMessage, silentLogger, type DownMessage, type Ref, type Runtime, type RuntimeOptions } from '../../src/index.js'

/** A runtime on node `a@host` that logs nothing (crash warnings are expected in these tests). */
export function runtime (opts: RuntimeOptions = {}): Runtime {
  return createRuntime({ node: 'a@host', logger: silentLogger(), ...opts })
}

/** Resolves as `p`, or rejects if it has not settled within `ms` real milliseconds. */
export async function within<T> (p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const late = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => { reject(new Error(`timed out after ${ms} ms: ${what}`)) }, ms)
  })
  try {
    return await Promise.race([p, late])
  } finally {
    clearTimeout(timer)
  }
}

/** Real time passes (timers and I/O run) for `ms` milliseconds. */
export function pause (ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/** Polls `cond` every few milliseconds until it holds; rejects after `ms`. */
export async function until (cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`)
    await pause(2)
  }
}

/** A receive pattern for the DOWN message of monitor `ref`. */
export function downFor (ref: Ref): (m: unknown) => m is DownMessage {
  return (m: unknown): m is DownMessage => isDownMessage(m) && m.ref.equals(ref)
}
