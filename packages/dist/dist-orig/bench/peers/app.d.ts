import type { DistNode } from '../../src/index.js';
export declare function start(node: DistNode): void;
//# sourceMappingURL=app.d.ts.map