export {};
//# sourceMappingURL=connection.test.d.ts.map