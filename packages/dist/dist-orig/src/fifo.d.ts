/**
 * A first-in first-out queue with O(1) shift. Array#shift is O(n), and a
 * connection's send queue can hold many thousands of small frames when a
 * peer is slow.
 */
export declare class Fifo<T> {
    #private;
    get length(): number;
    push(item: T): void;
    peek(): T | undefined;
    shift(): T | undefined;
    clear(): void;
}
//# sourceMappingURL=fifo.d.ts.map