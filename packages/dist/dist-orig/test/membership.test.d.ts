export {};
//# sourceMappingURL=membership.test.d.ts.map