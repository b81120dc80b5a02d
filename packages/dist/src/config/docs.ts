/**
 * The configuration as documentation: a key's default as an operator writes
 * it, a Markdown table of every key, and a table of the names ekka and EMQX give
 * them (the README's tables are this output, checked by a test).
 */
import { formatDuration } from './duration.js'
import { envVarName } from './load.js'
import { allowedText } from './values.js'
import type { ConfigKeySpec } from './schema.js'

/** A default as an operator would write it in `tekka.conf`. */
export function formatDefault (spec: ConfigKeySpec): string {
  const d = spec.default
  if (spec.defaultText !== undefined && (d === undefined || (Array.isArray(d) && d.length === 0))) return spec.defaultText
  if (d === undefined) return ''
  if (typeof d === 'boolean') return d ? 'on' : 'off'
  if (spec.type === 'duration' && typeof d === 'number') return formatDuration(d)
  if (Array.isArray(d)) return d.join(',')
  return String(d)
}

const esc = (s: string): string => s.replaceAll('|', '\\|').replaceAll('\n', ' ')

/**
 * The names ekka and EMQX give keys (`ConfigKeySpec.ekka`), as a Markdown
 * table: the name, the key it sets, and how it differs; a key's refused
 * values (`mcast`) are on its rows; then the keys they have and tekka does
 * not (`ConfigSection.unsupported`), with why.
 */
export function renderEkkaTable (keys: readonly ConfigKeySpec[], unsupported: Readonly<Record<string, string>> = {}): string {
  const rows = keys.flatMap((s) => (s.ekka ?? []).map((e) => {
    const notes = [e.note ?? (e.key === s.key ? 'the same key' : `another name of ${s.key}`)]
    for (const [value, why] of Object.entries(s.refused ?? {})) notes.push(`\`${value}\` is refused: ${why}`)
    return `| \`${e.key}\` | \`${s.key}\` | ${esc(notes.join('. '))} |`
  }))
  for (const [key, why] of Object.entries(unsupported)) rows.push(`| \`${key}\` | none | refused: ${esc(why)} |`)
  return ['| ekka / EMQX key | tekka key | notes |', '|---|---|---|', ...rows].join('\n') + '\n'
}

/** Keys as a Markdown table (key, environment variable, type, default, allowed, description), for READMEs. */
export function renderConfigTable (keys: readonly ConfigKeySpec[]): string {
  const rows = keys.map((s) => {
    const type = s.type === 'list' ? `list of ${s.items ?? 'string'}` : s.type
    return `| \`${s.key}\` | \`${envVarName(s.key)}\` | ${type} | ${esc(formatDefault(s))} | ${esc(allowedText(s))} | ${esc(s.doc)} |`
  })
  return ['| key | environment | type | default | allowed | description |', '|---|---|---|---|---|---|', ...rows].join('\n') + '\n'
}
