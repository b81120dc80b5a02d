export {};
//# sourceMappingURL=connection-ticks.test.d.ts.map