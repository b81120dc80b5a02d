/**
 * The subset of HOCON that EMQX users write in `emqx.conf`, read into flat
 * `dotted.key = value` entries with their lines, so a config written for
 * ekka or EMQX 5 loads as is:
 *
 * ```
 * node { name = "n1@127.0.0.1", cookie = secret }   // objects in braces
 * cluster {
 *   discovery_strategy = static                      # `=` or `:`
 *   static.seeds = ["n1@127.0.0.1", "n2@127.0.0.1"]  # dotted keys, arrays
 *   autoclean: 5m
 * }
 * ```
 *
 * Accepted: objects (`key { ... }`, `key = { ... }`), dotted and quoted keys,
 * `=` or `:`, fields separated by newlines or commas, arrays of scalars over
 * one or several lines, quoted strings (JSON escapes), unquoted values (to the
 * end of the line, a `,`, `}` or `]`, trimmed), `#` and `//` comments, and a
 * whole file in braces. Refused with the file and line, rather than half
 * understood: substitutions (`${...}`), `include`, `+=`, triple-quoted
 * strings, and arrays of arrays or objects. Keys and values are not checked
 * here; the loader does that against the schema.
 */
import { ConfigError } from '../errors.js'

/** One leaf of the file: its dotted path, its value (text, or an array's items) and where its key is. */
export interface HoconEntry {
  readonly key: string
  readonly value: string | readonly string[]
  /** Written as a quoted string: surrounding blanks are part of it. */
  readonly quoted: boolean
  readonly line: number
}

const KEY_CHAR = /[A-Za-z0-9_-]/

/**
 * Whether a config file is HOCON rather than tekka's `key = value` lines:
 * `.hocon` and `.json` files are, and so is any file with a line that opens
 * or closes an object, gives an array or an object as a value, or uses `:`
 * instead of `=` (an `emqx.conf`). Comment lines do not count.
 */
export function isHoconText (text: string, fileName = ''): boolean {
  if (/\.(hocon|json)$/i.test(fileName)) return true
  for (const raw of text.split(/\r?\n/)) {
    const t = raw.trim()
    if (t === '' || t.startsWith('#') || t.startsWith('//') || t.startsWith(';')) continue
    if (t.startsWith('{') || t.startsWith('}') || t.endsWith('{')) return true
    if (/^[\w."-]+\s*(?:[=:]\s*[[{]|\{)/.test(t)) return true
    if (/^[\w."-]+\s*:/.test(t)) return true
  }
  return false
}

/** Parse HOCON-subset text into leaves; throws ConfigError with `file:line` for what it does not accept. */
export function parseHocon (text: string, fileName: string): HoconEntry[] {
  return new Parser(text.replace(/^\uFEFF/, ''), fileName).parse()
}

class Parser {
  readonly #s: string
  readonly #file: string
  #i = 0
  #line = 1
  readonly #out: HoconEntry[] = []

  constructor (text: string, file: string) {
    this.#s = text
    this.#file = file
  }

  parse (): HoconEntry[] {
    this.#skip(true)
    if (this.#peek() === '{') {
      this.#i++
      this.#body([], true)
    } else {
      this.#body([], false)
    }
    this.#skip(true)
    if (this.#i < this.#s.length) this.#fail(`unexpected ${this.#shown()} after the end of the top-level object`)
    return this.#out
  }

  #fail (message: string, line = this.#line): never {
    const where = `${this.#file}:${line}`
    throw new ConfigError(`${where}: ${message}`, { source: where })
  }

  #peek (k = 0): string {
    return this.#s[this.#i + k] ?? ''
  }

  /** The next character, for messages. */
  #shown (): string {
    const c = this.#peek()
    return c === '' ? 'end of file' : c === '\n' ? 'end of line' : JSON.stringify(c)
  }

  #atComment (): boolean {
    const c = this.#peek()
    return c === '#' || (c === '/' && this.#peek(1) === '/')
  }

  /** Skips blanks and comments, and newlines too when `newlines`. */
  #skip (newlines: boolean): void {
    for (;;) {
      const c = this.#peek()
      if (c === ' ' || c === '\t' || c === '\r' || c === '\uFEFF') this.#i++
      else if (c === '\n' && newlines) { this.#i++; this.#line++ } else if (this.#atComment()) {
        while (this.#i < this.#s.length && this.#peek() !== '\n') this.#i++
      } else return
    }
  }

  /** Fields until `}` (when `braced`) or the end of the file. */
  #body (path: readonly string[], braced: boolean): void {
    const opened = this.#line
    for (;;) {
      this.#skip(true)
      const c = this.#peek()
      if (c === '') {
        if (braced) this.#fail(`missing "}" for the object opened on line ${opened}`)
        return
      }
      if (c === '}') {
        if (!braced) this.#fail('"}" without an object to close')
        this.#i++
        return
      }
      if (c === ',') this.#fail('unexpected "," (a field is missing before it)')
      this.#field(path)
      // After a field: a separator (newline or comma), or the end of the object.
      this.#skip(false)
      const next = this.#peek()
      if (next === ',') this.#i++
      else if (next !== '\n' && next !== '}' && next !== '') this.#fail(`unexpected ${this.#shown()} after a value (fields are separated by newlines or ",")`)
    }
  }

  #field (path: readonly string[]): void {
    const line = this.#line
    const key = this.#key()
    if (key.length === 1 && key[0] === 'include') this.#fail('include is not supported: put the keys in this file')
    this.#skip(false)
    let c = this.#peek()
    if (c === '+' && this.#peek(1) === '=') this.#fail(`${key.join('.')} +=: appending to arrays is not supported`)
    if (c === '=' || c === ':') {
      this.#i++
      this.#skip(false)
      c = this.#peek()
    } else if (c !== '{') {
      this.#fail(`expected "=", ":" or "{" after the key ${key.join('.')}, got ${this.#shown()}`)
    }
    const full = [...path, ...key]
    if (c === '{') {
      this.#i++
      this.#body(full, true)
      return
    }
    if (c === '[') {
      this.#i++
      this.#out.push({ key: full.join('.'), value: this.#array(full), quoted: false, line })
      return
    }
    const { text, quoted } = this.#scalar(full)
    this.#out.push({ key: full.join('.'), value: text, quoted, line })
  }

  /** A key path: parts separated by dots, each unquoted (letters, digits, _ or -) or a quoted string. */
  #key (): string[] {
    const parts: string[] = []
    for (;;) {
      if (this.#peek() === '"') {
        parts.push(this.#quoted())
      } else {
        const from = this.#i
        while (KEY_CHAR.test(this.#peek())) this.#i++
        if (this.#i === from) this.#fail(parts.length === 0 ? `expected a key, got ${this.#shown()}` : `expected a key after "${parts.join('.')}.", got ${this.#shown()}`)
        parts.push(this.#s.slice(from, this.#i))
      }
      if (this.#peek() !== '.') return parts
      this.#i++
    }
  }

  /** Array items (scalars), separated by commas or newlines; the `[` is read. */
  #array (path: readonly string[]): string[] {
    const items: string[] = []
    const opened = this.#line
    for (;;) {
      this.#skip(true)
      const c = this.#peek()
      if (c === ']') { this.#i++; return items }
      if (c === '') this.#fail(`missing "]" for the array of ${path.join('.')} opened on line ${opened}`)
      if (c === '[' || c === '{') this.#fail(`${path.join('.')}: arrays of arrays or objects are not supported`)
      if (c === ',') this.#fail(`${path.join('.')}: an array item is missing before ","`)
      items.push(this.#scalar(path).text)
      this.#skip(false)
      const next = this.#peek()
      if (next === ',') this.#i++
      else if (next !== '\n' && next !== ']') this.#fail(`${path.join('.')}: unexpected ${this.#shown()} in an array (items are separated by "," or newlines)`)
    }
  }

  /** A quoted string, or unquoted text up to the end of the line, a `,`, `}`, `]` or a comment. */
  #scalar (path: readonly string[]): { text: string, quoted: boolean } {
    const key = path.join('.')
    if (this.#peek() === '"') {
      if (this.#s.startsWith('"""', this.#i)) this.#fail(`${key}: triple-quoted strings are not supported; use a "..." string with \\n escapes`)
      const text = this.#quoted()
      this.#skip(false)
      const c = this.#peek()
      if (c !== '' && c !== '\n' && c !== ',' && c !== '}' && c !== ']') this.#fail(`${key}: unexpected ${this.#shown()} after a quoted value (joining values is not supported)`)
      return { text, quoted: true }
    }
    const from = this.#i
    for (;;) {
      const c = this.#peek()
      if (c === '' || c === '\n' || c === ',' || c === '}' || c === ']' || c === '#') break
      // `//` starts a comment at the start of a value or after a blank, so `http://h:2379` stays a URL.
      if (c === '/' && this.#peek(1) === '/' && (this.#i === from || /\s/.test(this.#peek(-1)))) break
      if (c === '$' && this.#peek(1) === '{') this.#fail(`${key}: substitutions (\${...}) are not supported`)
      if (c === '"' || c === '{' || c === '[') this.#fail(`${key}: unexpected ${this.#shown()} inside an unquoted value (quote the value)`)
      this.#i++
    }
    const text = this.#s.slice(from, this.#i).trim()
    if (text === '') this.#fail(`${key}: missing value`)
    return { text, quoted: false }
  }

  /** A `"..."` string with JSON escapes; the cursor is on the opening quote. */
  #quoted (): string {
    const from = this.#i
    this.#i++
    for (;;) {
      const c = this.#peek()
      if (c === '' || c === '\n') this.#fail('unterminated quoted string')
      this.#i++
      if (c === '\\') { this.#i++; continue }
      if (c === '"') break
    }
    const lit = this.#s.slice(from, this.#i)
    try {
      return JSON.parse(lit) as string
    } catch {
      return this.#fail(`bad quoted string ${lit} (JSON escapes: \\" \\\\ \\n \\t \\uXXXX)`)
    }
  }
}
