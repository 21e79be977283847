/**
 * openmic-mock for JavaScript and TypeScript: a faithful local fake of the OpenMic.ai API, one `npm install -D`
 * away.
 *
 * - `startMock()` starts the `openmic-mock` binary (installed with this package, from the platform package
 *   `@openmic-mock/<platform>-<arch>`) on a free port and resolves to a `MockServer`: `baseUrl`, `apiKey`,
 *   `stop()`, `await using`, and the admin API as typed methods (data, journal, faults, clock, outcomes,
 *   webhooks, bots and phone numbers).
 * - `mock.tenant()` gives one test its own API key and a fresh copy of the data, on a server shared by a run.
 * - `connectMock()` gives the same admin API for a mock started elsewhere (a global setup, a container).
 * - `findBinary()` says where the binaries are, for running them yourself.
 *
 * No runtime dependency: Node's own `fetch` and `child_process`.
 *
 * @packageDocumentation
 */

export { AdminApi, type InboundCall, type Input, Tenant, type WebhookTargetsInput } from "./admin.js";
export { BINARY_ENV, findBinary, PLATFORMS, type Tool } from "./binary.js";
export { AdminError, OpenMicMockError, StartError } from "./errors.js";
export {
  type ConnectOptions,
  connectMock,
  MockAdmin,
  MockConnection,
  MockServer,
  type StartOptions,
  startMock,
} from "./server.js";
export type * from "./types.js";
