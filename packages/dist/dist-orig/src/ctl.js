export class CtlRegistry {
    #handlers = new Map();
    /** `command` is one or more words: "ping", "cluster status". */
    register(command, help, handler) {
        this.#handlers.set(command.trim().split(/\s+/).join(' '), { handler, help });
    }
    unregister(command) {
        this.#handlers.delete(command);
    }
    /** Finds the longest registered command that prefixes `words`, and runs it with the rest. */
    async run(words, opts) {
        for (let n = words.length; n > 0; n--) {
            const h = this.#handlers.get(words.slice(0, n).join(' '));
            if (h !== undefined)
                return await h.handler(words.slice(n), opts);
        }
        return { ok: false, text: `unknown command: ${words.join(' ') || '(none)'}\n${this.help()}` };
    }
    help() {
        const lines = [...this.#handlers].sort(([a], [b]) => a.localeCompare(b)).map(([cmd, { help }]) => `  ${cmd.padEnd(28)} ${help}`);
        return `commands:\n${lines.join('\n')}`;
    }
}
//# sourceMappingURL=ctl.js.map