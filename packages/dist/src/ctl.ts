/**
 * Operator commands (`tekka ctl ... <command>`): a registry on each node of
 * handlers by command name ("ping", "nodes", "cluster status"), reached by
 * the ctl client over RPC. Upper layers (membership, autocluster, heal) add
 * their commands here, so the ctl client never needs to know them.
 */
export interface CtlResult {
  ok: boolean
  /** What `tekka ctl` prints without --json. */
  text: string
  /** What it prints with --json. */
  json?: unknown
}

export type CtlHandler = (args: string[], opts: { json: boolean }) => CtlResult | Promise<CtlResult>

export class CtlRegistry {
  #handlers = new Map<string, { handler: CtlHandler, help: string }>()

  /** `command` is one or more words: "ping", "cluster status". */
  register (command: string, help: string, handler: CtlHandler): void {
    this.#handlers.set(command.trim().split(/\s+/).join(' '), { handler, help })
  }

  unregister (command: string): void {
    this.#handlers.delete(command)
  }

  /** Finds the longest registered command that prefixes `words`, and runs it with the rest. */
  async run (words: string[], opts: { json: boolean }): Promise<CtlResult> {
    for (let n = words.length; n > 0; n--) {
      const h = this.#handlers.get(words.slice(0, n).join(' '))
      if (h !== undefined) return await h.handler(words.slice(n), opts)
    }
    return { ok: false, text: `unknown command: ${words.join(' ') || '(none)'}\n${this.help()}` }
  }

  help (): string {
    const lines = [...this.#handlers].sort(([a], [b]) => a.localeCompare(b)).map(([cmd, { help }]) => `  ${cmd.padEnd(28)} ${help}`)
    return `commands:\n${lines.join('\n')}`
  }
}
