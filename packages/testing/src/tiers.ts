/**
 * Which tier a compiled test file belongs to, read off its import graph so
 * no hand-kept list can drift: a file is a `system` test when it reaches,
 * through its imports, a module that needs root or an external server
 * (SYSTEM_MODULES), and a `unit` test otherwise: runnable as any user on a
 * fresh clone after the build, with nothing installed by apt.
 * `node scripts/test.mjs --unit` runs only the unit tier.
 *
 * ```ts
 * const c = new TierClassifier({ root: '/work/main' })
 * c.classify('packages/dist/build/test/dist-partition.serial.test.js')
 * // { tier: 'system', needs: [{ module: 'iptables', why: 'root and iptables', via: [...] }] }
 * ```
 *
 * What counts as an import: the static `import ... from '...'`,
 * `import '...'` and `export ... from '...'` statements at the start of a
 * line (where tsc emits them); never text in comments, strings or regular
 * expressions. A dynamic `import('...')` does not count: it is a
 * conditional need (a support module that loads /netns only for the nodes
 * asked to run in a namespace), and the test that takes that branch imports
 * the module itself, or calls its `require...()`, which is a static import
 * too. It
 * follows relative imports between files inside `build/` directories and
 * `@tekka/testing/<subpath>` (to that subpath's built file); other packages
 * (their src never imports test support) and Node's modules are leaves.
 */
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, relative, resolve, sep } from 'node:path'

/** The test-support modules (packages/testing/src/<name>.ts) that need more than a build, and what. */
export const SYSTEM_MODULES: Readonly<Record<string, string>> = {
  iptables: 'root and iptables (partitions between loopback addresses)',
  netns: 'root and iproute2 (network namespaces)',
  'etcd-server': 'an etcd server (Debian etcd-server)',
  dnsmasq: 'a dnsmasq server (Debian dnsmasq-base)',
  promtool: 'the promtool command (Debian prometheus)',
  erlang: 'Erlang/OTP\'s erl (Debian erlang-base)',
  'erl-node': 'Erlang/OTP: erl, erlc and epmd (Debian erlang-base)'
}

export type Tier = 'unit' | 'system'

export interface SystemNeed {
  /** The key of SYSTEM_MODULES. */
  readonly module: string
  readonly why: string
  /** The import chain from the test file to that module, as paths relative to the root. */
  readonly via: readonly string[]
}

export interface TierResult {
  readonly tier: Tier
  /** Empty for the unit tier. */
  readonly needs: readonly SystemNeed[]
}

export interface TierClassifierOptions {
  /** The workspace root (where packages/ is). */
  root: string
}

const STATIC_FROM = /^(?:import|export)\b[^'";]*?\bfrom\s*(['"])([^'"\n]+)\1/gm
const BARE_IMPORT = /^import\s*(['"])([^'"\n]+)\1/gm

/** After these characters a `/` starts a regular expression literal, not a division. */
const REGEX_AFTER = new Set(['', '(', ',', '=', ':', '[', '!', '&', '|', '?', '{', '}', ';', '+', '-', '*', '%', '<', '>', '~', '^'])

/**
 * `source` with the insides of comments, strings, template literals and
 * regular expressions blanked (newlines and lengths kept), so the import
 * patterns match only code; the specifiers are then read from `source` at
 * the same places. Regular expressions are told from divisions by the
 * character before them, as most tokenizers do.
 */
function codeOnly (source: string): string {
  const out = source.split('')
  const blank = (from: number, to: number): void => { for (let k = from; k < to; k++) if (out[k] !== '\n') out[k] = ' ' }
  let last = ''
  let i = 0
  while (i < source.length) {
    const ch = source[i]
    const next = source[i + 1]
    if (ch === '/' && next === '/') {
      const end = source.indexOf('\n', i)
      const stop = end < 0 ? source.length : end
      blank(i, stop)
      i = stop
    } else if (ch === '/' && next === '*') {
      const end = source.indexOf('*/', i + 2)
      const stop = end < 0 ? source.length : end + 2
      blank(i, stop)
      i = stop
    } else if (ch === "'" || ch === '"' || ch === '`' || (ch === '/' && REGEX_AFTER.has(last))) {
      let j = i + 1
      let inClass = false
      while (j < source.length) {
        const c = source[j]
        if (c === '\\') { j += 2; continue }
        if (ch === '/' && c === '[') inClass = true
        else if (ch === '/' && c === ']') inClass = false
        else if (c === ch && !inClass) break
        else if (c === '\n' && ch !== '`') break
        j++
      }
      // Keep the delimiters, blank what is between them.
      blank(i + 1, Math.min(j, source.length))
      last = ch === '/' ? 'a' : '"'
      i = j + 1
    } else {
      if (!/\s/.test(ch)) last = ch
      i++
    }
  }
  return out.join('')
}

/** The module specifiers a compiled JS file imports (see the module comment for what counts). */
export function importSpecifiers (source: string): string[] {
  const code = codeOnly(source)
  const out: string[] = []
  for (const re of [STATIC_FROM, BARE_IMPORT]) {
    for (const m of code.matchAll(re)) {
      // The quoted specifier is the match's tail: read it from the original text.
      const end = (m.index) + m[0].length
      const quoted = /(['"])([^'"\n]*)\1$/.exec(source.slice(m.index, end))
      if (quoted !== null) out.push(quoted[2])
    }
  }
  return [...new Set(out)]
}

const TESTING_PREFIX = '@tekka/testing/'

/** Classifies test files by their import graphs; caches what it has read. */
export class TierClassifier {
  readonly root: string
  readonly #systemFiles: Map<string, string>
  /** Per file: the system modules it reaches, each with the chain from that file. */
  readonly #reach = new Map<string, Map<string, string[]>>()

  constructor (opts: TierClassifierOptions) {
    this.root = resolve(opts.root)
    this.#systemFiles = new Map(Object.keys(SYSTEM_MODULES).map((m) => [this.#testingFile(m), m]))
  }

  #testingFile (subpath: string): string {
    return join(this.root, 'packages', 'testing', 'build', 'src', `${subpath}.js`)
  }

  /** The file a specifier imported from `from` stands for, when the graph follows it. */
  #resolve (from: string, spec: string): string | undefined {
    let target: string
    if (spec.startsWith('./') || spec.startsWith('../')) target = resolve(dirname(from), spec)
    else if (spec.startsWith(TESTING_PREFIX)) target = this.#testingFile(spec.slice(TESTING_PREFIX.length).replace(/\.js$/, ''))
    else return undefined
    if (!target.split(sep).includes('build')) return undefined
    return target
  }

  /**
   * System modules reachable from `file`, each with its import chain (cycles
   * are cut). `cut` is set when an import back to a file still being walked
   * was skipped, here or below: such a result may lack what the skipped
   * file reaches, so it is cached only by the walk's first file (whose
   * result is complete). Files below no cycle are cached at once, which is
   * what keeps a whole-repository classification fast.
   */
  #walk (file: string, visiting: Set<string>, cut: { any: boolean } = { any: false }): Map<string, string[]> {
    const cached = this.#reach.get(file)
    if (cached !== undefined) return cached
    const found = new Map<string, string[]>()
    const rel = relative(this.root, file)
    const own = this.#systemFiles.get(file)
    if (own !== undefined) found.set(own, [rel])
    const mine = { any: false }
    if (existsSync(file)) {
      visiting.add(file)
      for (const spec of importSpecifiers(readFileSync(file, 'utf8'))) {
        const dep = this.#resolve(file, spec)
        if (dep === undefined) continue
        if (visiting.has(dep)) { mine.any = true; continue }
        for (const [m, chain] of this.#walk(dep, visiting, mine)) {
          if (!found.has(m)) found.set(m, [rel, ...chain])
        }
      }
      visiting.delete(file)
    }
    if (!mine.any || visiting.size === 0) this.#reach.set(file, found)
    if (mine.any) cut.any = true
    return found
  }

  classify (file: string): TierResult {
    const abs = resolve(this.root, file)
    const needs = [...this.#walk(abs, new Set())].map(([module, via]) => ({ module, why: SYSTEM_MODULES[module], via }))
    needs.sort((a, b) => a.module.localeCompare(b.module))
    return { tier: needs.length === 0 ? 'unit' : 'system', needs }
  }
}
