// The vitest recipe: one mock for the whole run (global setup), a tenant per test (fixtures.ts).
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    root: import.meta.dirname,
    globalSetup: ["./global-setup.ts"],
    include: ["**/*.test.ts"],
    // Files run in parallel by default, one worker per core but one; two at least here, so that
    // isolation.*.test.ts meet even on a 2-core CI runner.
    maxWorkers: 2,
  },
});
