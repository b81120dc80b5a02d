export {};
//# sourceMappingURL=member-table.test.d.ts.map