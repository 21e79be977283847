// Starts one mock for the run. Jest runs this in its main process: the workers learn the address from the
// environment, which they inherit; global-teardown.cjs finds the mock on globalThis.
const { startMock } = require("openmic-mock");

module.exports = async () => {
  const mock = await startMock({ args: ["--clock", "virtual"] });
  globalThis.openmicMock = mock;
  process.env.OPENMIC_TEST_BASE_URL = mock.baseUrl;
};
