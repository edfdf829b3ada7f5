import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The parity and EMR suites run real PySpark and a real moto server: minutes, not milliseconds.
    testTimeout: 600_000,
    hookTimeout: 900_000,
    // PySpark runs are heavy on a 2-core machine; files run one at a time.
    fileParallelism: false,
  },
});
