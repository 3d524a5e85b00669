import { defineConfig } from "vitest/config";

/** `npm run test:image`: the image built without Docker and each of its processes (test/image). */
export default defineConfig({
  test: {
    include: ["test/image/**/*.image.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 600_000,
    pool: "forks",
  },
});
