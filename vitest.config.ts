import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The two-cluster system runs on its own: npm run test:cluster (test/cluster/vitest.config.ts).
    exclude: ["**/node_modules/**", "test/**/*.cluster.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real servers on free ports; two workers fit a 2-core machine.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    pool: "forks",
  },
});
