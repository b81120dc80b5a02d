export {};
//# sourceMappingURL=connection-fragments.test.d.ts.map