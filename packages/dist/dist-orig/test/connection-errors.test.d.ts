export {};
//# sourceMappingURL=connection-errors.test.d.ts.map