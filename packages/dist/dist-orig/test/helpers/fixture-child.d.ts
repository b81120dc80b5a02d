export {};
//# sourceMappingURL=fixture-child.d.ts.map