/**
 * `npm run test:cluster`: the two-cluster system tests (test/cluster/*.cluster.test.ts). The image is
 * compiled once per run (globalSetup); the files run one after the other, each starting two MECs.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/cluster/**/*.cluster.test.ts"],
    globalSetup: ["test/cluster/globalSetup.ts"],
    testTimeout: 240_000,
    hookTimeout: 180_000,
    pool: "forks",
    fileParallelism: false,
  },
});
