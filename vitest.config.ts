import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["packages/*/src/**/*.test.ts"],
        },
      },
      {
        test: {
          name: "compat",
          include: ["test/**/*.test.ts"],
          exclude: ["test/compose/**"],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // These suites start real nats-server and API server processes.
          fileParallelism: false,
        },
      },
      {
        test: {
          // `npm run test:compose`: the cluster as containers (needs Docker; see README).
          name: "compose",
          include: ["test/compose/**/*.test.ts"],
          testTimeout: 300_000,
          hookTimeout: 960_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
