export {};
//# sourceMappingURL=kernel.test.d.ts.map