const { AdminError, connectMock } = require("openmic-mock");

const mock = connectMock({ baseUrl: process.env.OPENMIC_TEST_BASE_URL });
let tenant;
beforeEach(async () => {
  tenant = await mock.tenant();
});
afterEach(() => tenant.delete());

async function get(path) {
  const answer = await fetch(tenant.baseUrl + path, { headers: { authorization: `Bearer ${tenant.apiKey}` } });
  return { status: answer.status, body: await answer.json() };
}

test("a 429 on page 2 of /v1/calls, then the rest of the walk", async () => {
  await tenant.pushFault({ status: 429, query: { offset: 100 } });
  expect((await get("/v1/calls?limit=100")).status).toBe(200);
  const refused = await get("/v1/calls?limit=100&offset=100");
  expect(refused.status).toBe(429);
  expect((await get("/v1/calls?limit=100&offset=100")).body.calls).toHaveLength(100);
  const journal = await tenant.requests({ status: 429 });
  expect(journal.map((r) => r.raw_query)).toEqual(["limit=100&offset=100"]);
});

test("a 400 from the admin API is an Error with the mock's message", async () => {
  const refusal = tenant.setCalls([{ call_id: "half-a-call" }]);
  await expect(refusal).rejects.toBeInstanceOf(AdminError);
  await expect(tenant.setCalls([{ call_id: "half-a-call" }])).rejects.toThrow(/call #0 \(call_id "half-a-call"\)/);
});

test("the virtual clock moves a created call to the end its scripted outcome says (error)", async () => {
  const [number] = await tenant.phoneNumbers();
  await tenant.pushOutcomes({ status: "error", ring_ms: 3000, talk_ms: 5000 });
  const created = await fetch(`${tenant.baseUrl}/v1/create-phone-call`, {
    method: "POST",
    headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json" },
    body: JSON.stringify({ from_number: number.phone_number, to_number: "+15551234567" }),
  });
  const { call_id } = await created.json();
  await tenant.advance(10_000);
  expect((await get(`/v1/call/${call_id}`)).body.call_status).toBe("error");
});
