export {};
//# sourceMappingURL=dist-partition.serial.test.d.ts.map