/**
 * A first-in first-out queue with O(1) shift. Array#shift is O(n), and a
 * connection's send queue can hold many thousands of small frames when a
 * peer is slow.
 */
export class Fifo {
    #items = [];
    #head = 0;
    get length() {
        return this.#items.length - this.#head;
    }
    push(item) {
        this.#items.push(item);
    }
    peek() {
        return this.#items[this.#head];
    }
    shift() {
        if (this.#head >= this.#items.length)
            return undefined;
        const item = this.#items[this.#head];
        this.#items[this.#head++] = undefined;
        // Compact once the dead prefix dominates, so memory follows the live length.
        if (this.#head >= 1024 && this.#head * 2 >= this.#items.length) {
            this.#items = this.#items.slice(this.#head);
            this.#head = 0;
        }
        return item;
    }
    clear() {
        this.#items = [];
        this.#head = 0;
    }
}
//# sourceMappingURL=fifo.js.map