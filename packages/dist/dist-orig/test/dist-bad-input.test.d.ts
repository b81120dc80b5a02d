export {};
//# sourceMappingURL=dist-bad-input.test.d.ts.map