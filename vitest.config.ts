import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The image's build and the two-cluster system run on their own: npm run test:image and
    // npm run test:cluster (test/image/vitest.config.ts, test/cluster/vitest.config.ts).
    exclude: ["**/node_modules/**", "test/**/*.image.test.ts", "test/**/*.cluster.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Integration tests start real servers on free ports; two workers fit a 2-core machine.
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    pool: "forks",
  },
});
