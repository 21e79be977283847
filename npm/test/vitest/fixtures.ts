// `test` with an `openmic` fixture: each test gets a tenant of the run's mock (its own API key and a fresh copy
// of the data), removed after the test.
import { connectMock, type Tenant } from "openmic-mock";
import { inject, test as base } from "vitest";

const mock = connectMock(inject("openmic"));

export const test = base.extend<{ openmic: Tenant }>({
  openmic: async ({}, use) => {
    await using tenant = await mock.tenant();
    await use(tenant);
  },
});

export { mock };
