export {};
//# sourceMappingURL=harness.serial.test.d.ts.map