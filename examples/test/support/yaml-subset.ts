// A reader for the subset of YAML the example manifests are written in, so
// their test needs no YAML library: documents split by `---`; block
// mappings and sequences by indentation (sequences indented or not under
// their key); `- key: value` items; plain, "double" and 'single' quoted
// scalars (plain ones typed as YAML 1.2's core schema: true / false, null,
// integers, floats); flow collections written as JSON (`["get", "list"]`,
// `{}`); comments. Anything else (anchors, tags, block scalars, multi-line
// scalars, flow collections that are not JSON) is refused with its line, so
// a manifest cannot drift out of what this reads without the test saying so.
import { TekkaError } from '@tekka/actors'

interface Line { readonly n: number, readonly indent: number, readonly text: string }

/**
 * A manifest outside the subset, or malformed, at `file:line`. Not in the
 * examples' error table (lib/errors.ts): test support, it never leaves the
 * test's own process.
 */
export class YamlSubsetError extends TekkaError<'ERR_YAML_SUBSET'> {
  readonly file: string
  readonly line: number
  constructor (file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`, 'ERR_YAML_SUBSET')
    this.file = file
    this.line = line
  }
}

/** Every document of `text`, in order (empty documents left out). */
export function parseYamlDocuments (text: string, file: string): unknown[] {
  const docs: Line[][] = [[]]
  text.split(/\r?\n/).forEach((raw, i) => {
    const n = i + 1
    if (/^---\s*$/.test(raw)) { docs.push([]); return }
    if (/^\.\.\.\s*$/.test(raw) || /^%/.test(raw)) throw new YamlSubsetError(file, n, 'directives and document end markers are not read')
    if (raw.includes('\t')) throw new YamlSubsetError(file, n, 'tab character')
    const body = stripComment(raw, file, n)
    if (body.trim() === '') return
    const indent = body.length - body.trimStart().length
    docs[docs.length - 1].push({ n, indent, text: body.trim() })
  })
  return docs.filter((d) => d.length > 0).map((lines) => {
    const p = new Parser(lines, file)
    const v = p.block(lines[0].indent)
    if (p.i < lines.length) throw new YamlSubsetError(file, lines[p.i].n, 'unexpected indentation')
    return v
  })
}

function stripComment (raw: string, file: string, n: number): string {
  let quote: string | undefined
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]
    if (quote !== undefined) {
      if (quote === '"' && c === '\\') { i++; continue }
      if (c === quote) quote = undefined
      continue
    }
    if ((c === '"' || c === '\'') && (i === 0 || /[\s:[{,-]/.test(raw[i - 1]))) { quote = c; continue }
    if (c === '#' && (i === 0 || /\s/.test(raw[i - 1]))) return raw.slice(0, i).trimEnd()
  }
  if (quote !== undefined) throw new YamlSubsetError(file, n, 'unterminated quoted scalar (multi-line scalars are not read)')
  return raw.trimEnd()
}

const KEY = /^([A-Za-z0-9_./-]+):(?:\s+(.*))?$/

class Parser {
  i = 0
  readonly #lines: Line[]
  readonly #file: string
  constructor (lines: Line[], file: string) { this.#lines = [...lines]; this.#file = file }

  #fail (line: Line | undefined, message: string): never {
    throw new YamlSubsetError(this.#file, line?.n ?? 0, message)
  }

  #isItem (l: Line): boolean { return l.text === '-' || l.text.startsWith('- ') }

  block (indent: number): unknown {
    const l = this.#lines[this.i]
    if (l === undefined) return null
    if (l.indent !== indent) this.#fail(l, `expected indentation ${indent}, got ${l.indent}`)
    return this.#isItem(l) ? this.#sequence(indent) : this.#mapping(indent)
  }

  #mapping (indent: number): Record<string, unknown> {
    const out: Record<string, unknown> = {}
    for (;;) {
      const l = this.#lines[this.i]
      if (l === undefined || l.indent < indent || (l.indent === indent && this.#isItem(l))) return out
      if (l.indent > indent) this.#fail(l, 'unexpected indentation')
      const m = KEY.exec(l.text)
      if (m === null) this.#fail(l, `expected "key: value", got ${JSON.stringify(l.text)}`)
      const key = m[1]
      if (Object.hasOwn(out, key)) this.#fail(l, `key ${key} given twice`)
      this.i++
      if (m[2] !== undefined && m[2] !== '') { out[key] = this.#scalar(m[2], l); continue }
      const next = this.#lines[this.i]
      if (next !== undefined && next.indent > indent) out[key] = this.block(next.indent)
      else if (next !== undefined && next.indent === indent && this.#isItem(next)) out[key] = this.#sequence(indent)
      else out[key] = null
    }
  }

  #sequence (indent: number): unknown[] {
    const out: unknown[] = []
    for (;;) {
      const l = this.#lines[this.i]
      if (l === undefined || l.indent !== indent || !this.#isItem(l)) {
        if (l !== undefined && l.indent > indent) this.#fail(l, 'unexpected indentation')
        return out
      }
      const rest = l.text.slice(1).trimStart()
      if (rest === '') {
        this.i++
        const next = this.#lines[this.i]
        out.push(next !== undefined && next.indent > indent ? this.block(next.indent) : null)
      } else if (KEY.test(rest)) {
        // `- key: value`: a mapping whose first line starts after the dash.
        const inner = indent + (l.text.length - rest.length)
        this.#lines[this.i] = { n: l.n, indent: inner, text: rest }
        out.push(this.#mapping(inner))
      } else {
        this.i++
        out.push(this.#scalar(rest, l))
      }
    }
  }

  #scalar (text: string, l: Line): unknown {
    const t = text.trim()
    if (/^[&*!|>%@`]/.test(t)) this.#fail(l, `not read by this subset: ${JSON.stringify(t)}`)
    if (t.startsWith('"')) {
      try { return JSON.parse(t) as unknown } catch { this.#fail(l, `bad double-quoted scalar ${t}`) }
    }
    if (t.startsWith('\'')) {
      if (!/^'(?:[^']|'')*'$/.test(t)) this.#fail(l, `bad single-quoted scalar ${t}`)
      return t.slice(1, -1).replaceAll('\'\'', '\'')
    }
    if (t.startsWith('[') || t.startsWith('{')) {
      try { return JSON.parse(t) as unknown } catch { this.#fail(l, `flow collections must be written as JSON here: ${t}`) }
    }
    if (t === 'true') return true
    if (t === 'false') return false
    if (t === 'null' || t === '~') return null
    if (/^[-+]?[0-9]+$/.test(t)) return Number(t)
    if (/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/.test(t)) return Number(t)
    if (/:\s|\s#/.test(t)) this.#fail(l, `ambiguous plain scalar ${JSON.stringify(t)}: quote it`)
    return t
  }
}
