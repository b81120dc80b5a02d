/**
 * Walks the runtime dependency closure of a pnpm workspace: from every
 * workspace package, `dependencies`, `optionalDependencies` and installed
 * `peerDependencies`, recursively, resolved as Node resolves them (pnpm's
 * symlinks under node_modules/.pnpm followed to their real directories).
 * Reports what would make the closure anything but JavaScript: native
 * addons (`.node`), WebAssembly (`.wasm`), `binding.gyp` / `gypfile`, and
 * install-time scripts.
 */
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs'
import { basename, dirname, join, relative } from 'node:path'

export interface ClosurePackage {
  name: string
  version: string
  dir: string
  workspace: boolean
}

export interface ClosureReport {
  packages: ClosurePackage[]
  /** Everything that breaks the rule, one readable line each. */
  problems: string[]
  /** Optional dependencies that are not installed: `name (optional dependency of x@1.2.3)`. */
  missingOptional: string[]
  /** Files looked at. */
  files: number
}

interface PackageJson {
  name?: string
  version?: string
  scripts?: Record<string, string>
  gypfile?: boolean
  dependencies?: Record<string, string>
  optionalDependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
}

const INSTALL_SCRIPTS = ['preinstall', 'install', 'postinstall']

function readJson (file: string): PackageJson {
  return JSON.parse(readFileSync(file, 'utf8')) as PackageJson
}

/** The workspace's package directories, from pnpm-workspace.yaml (`dir` and `dir/*` patterns). */
export function workspaceDirs (root: string): string[] {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8')
  const patterns: string[] = []
  let inPackages = false
  for (const raw of yaml.split('\n')) {
    const line = raw.replace(/#.*$/, '')
    if (/^packages:\s*$/.test(line)) { inPackages = true; continue }
    if (/^\S/.test(line)) inPackages = false
    const m = /^\s+-\s+['"]?([^'"]+?)['"]?\s*$/.exec(line)
    if (inPackages && m !== null) patterns.push(m[1])
  }
  const dirs: string[] = []
  for (const p of patterns) {
    if (p.startsWith('!')) continue
    if (p.endsWith('/*')) {
      const base = join(root, p.slice(0, -2))
      if (!existsSync(base)) continue
      for (const e of readdirSync(base).sort()) {
        const d = join(base, e)
        if (existsSync(join(d, 'package.json'))) dirs.push(d)
      }
    } else if (existsSync(join(root, p, 'package.json'))) {
      dirs.push(join(root, p))
    }
  }
  return dirs
}

/** Node's lookup of `name` from a package directory: node_modules in it and every parent. */
function resolveFrom (dir: string, name: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    if (basename(d) !== 'node_modules') {
      const candidate = join(d, 'node_modules', name)
      if (existsSync(join(candidate, 'package.json'))) return realpathSync(candidate)
    }
    if (dirname(d) === d) return undefined
  }
}

/** Files of a package, not descending into node_modules (those are other packages). */
function * filesOf (dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name === 'node_modules' || e.name === '.git') continue
    const p = join(dir, e.name)
    if (e.isDirectory()) yield * filesOf(p)
    else if (e.isFile() || (e.isSymbolicLink() && statSync(p, { throwIfNoEntry: false })?.isFile() === true)) yield p
  }
}

export function walkClosure (root: string): ClosureReport {
  const workspace = new Map<string, string>()
  for (const d of workspaceDirs(root)) {
    const pj = readJson(join(d, 'package.json'))
    if (pj.name !== undefined) workspace.set(pj.name, realpathSync(d))
  }
  const seen = new Map<string, ClosurePackage>()
  const problems: string[] = []
  const missingOptional = new Set<string>()
  let files = 0
  const queue = [...workspace.values()]
  while (queue.length > 0) {
    const dir = queue.shift()!
    if (seen.has(dir)) continue
    const pj = readJson(join(dir, 'package.json'))
    const isWorkspace = [...workspace.values()].includes(dir)
    const id = `${pj.name ?? relative(root, dir)}@${pj.version ?? '?'}`
    seen.set(dir, { name: pj.name ?? '', version: pj.version ?? '', dir, workspace: isWorkspace })
    for (const s of INSTALL_SCRIPTS) {
      if (pj.scripts?.[s] !== undefined) problems.push(`${id}: has an install-time script "${s}": ${pj.scripts[s]}`)
    }
    if (pj.gypfile === true) problems.push(`${id}: package.json sets gypfile (a native build)`)
    for (const f of filesOf(dir)) {
      files++
      const rel = relative(dir, f)
      if (f.endsWith('.node')) problems.push(`${id}: native addon ${rel}`)
      else if (f.endsWith('.wasm')) problems.push(`${id}: WebAssembly ${rel}`)
      else if (basename(f) === 'binding.gyp') problems.push(`${id}: native build file ${rel}`)
    }
    const deps: Array<[string, string, 'required' | 'optional']> = [
      ...Object.entries(pj.dependencies ?? {}).map(([n, v]): [string, string, 'required'] => [n, v, 'required']),
      ...Object.entries(pj.optionalDependencies ?? {}).map(([n, v]): [string, string, 'optional'] => [n, v, 'optional']),
      ...Object.entries(pj.peerDependencies ?? {}).map(([n, v]): [string, string, 'optional'] => [n, v, 'optional'])
    ]
    for (const [name, spec, kind] of deps) {
      const target = spec.startsWith('workspace:') ? workspace.get(name) : resolveFrom(dir, name)
      if (target === undefined) {
        if (kind === 'optional') missingOptional.add(`${name} (optional dependency of ${id})`)
        else problems.push(`${id}: dependency ${name}@${spec} is not installed (closure incomplete)`)
        continue
      }
      if (!seen.has(target)) queue.push(target)
    }
  }
  return { packages: [...seen.values()], problems, missingOptional: [...missingOptional].sort(), files }
}
