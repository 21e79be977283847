// isolation.a.test.ts and isolation.b.test.ts run at the same time, in two workers, on the run's one mock: each
// gives its tenant a data set of its own size and a fault of its own, waits until the other file's tenant is
// set up too, then checks that it sees only its own.
import { expect } from "vitest";
import { mock, test } from "./fixtures.js";

test("sees only its own tenant's data, faults and requests while the other file runs", async ({ openmic }) => {
  const calls = await openmic.calls();
  expect(await openmic.setCalls(calls.slice(0, 3))).toBe(3);
  await openmic.pushFault({ status: 503, path: "/v1/bots", times: null });
  // The other file's tenant, with its 5 calls: proof that both run at once.
  const deadline = Date.now() + 20_000;
  while (!(await mock.tenants()).some((t) => t.api_key !== openmic.apiKey && t.calls === 5)) {
    expect(Date.now(), "the other file never ran alongside this one").toBeLessThan(deadline);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const headers = { authorization: `Bearer ${openmic.apiKey}` };
  const page = await (await fetch(`${openmic.baseUrl}/v1/calls?limit=100`, { headers })).json();
  expect(page.pagination.total).toBe(3);
  expect((await fetch(`${openmic.baseUrl}/v1/bots`, { headers })).status).toBe(503);
  const journal = await openmic.requests();
  expect(journal.map((r) => [r.path, r.status])).toEqual([
    ["/v1/calls", 200],
    ["/v1/bots", 503],
  ]);
  // Stay until the other file has checked too, so it still finds this tenant.
  await new Promise((resolve) => setTimeout(resolve, 1000));
}, 30_000);
