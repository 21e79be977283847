// The jest recipe: one mock for the run (globalSetup / globalTeardown), a tenant per test (in the test file).
module.exports = {
  rootDir: __dirname,
  testEnvironment: "node",
  globalSetup: "<rootDir>/global-setup.cjs",
  globalTeardown: "<rootDir>/global-teardown.cjs",
  testMatch: ["<rootDir>/**/*.test.cjs"],
};
