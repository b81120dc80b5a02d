// A strategy whose every answer a test scripts: what to return (or throw,
// or never settle) on the n-th call of each method. It records the calls.
import type { Strategy } from '../../src/strategy.js'

export type Method = 'discover' | 'lock' | 'unlock' | 'register' | 'unregister' | 'start' | 'stop'
/** The n-th call (1-based) of a method; what it returns is what the strategy answers (a throw is thrown as is). */
export type Script = (n: number) => unknown

export interface FakeStrategy extends Strategy {
  /** Every call in order. */
  readonly calls: Method[]
  count(m: Method): number
}

/** Only the methods given exist on the strategy (so lock-less, registry-less strategies can be faked). */
export function fakeStrategy (scripts: Partial<Record<Method, Script>>, name = 'fake'): FakeStrategy {
  const calls: Method[] = []
  const s: Record<string, unknown> = {
    name,
    calls,
    count: (m: Method) => calls.filter((c) => c === m).length
  }
  for (const m of Object.keys(scripts) as Method[]) {
    const script = scripts[m] as Script
    // Deliberately not async: a script that throws throws synchronously, as careless code would.
    s[m] = () => {
      calls.push(m)
      return script(calls.filter((c) => c === m).length)
    }
  }
  if (s.discover === undefined) s.discover = async () => { calls.push('discover'); return [] }
  return s as unknown as FakeStrategy
}

export const never = (): Promise<never> => new Promise<never>(() => {})
