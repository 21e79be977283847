import type { CallsPage } from "openmic-mock";
import { AdminError, startMock } from "openmic-mock";
import { describe, expect } from "vitest";
import { test } from "./fixtures.js";

describe("the vitest recipe", () => {
  test("pages through /v1/calls, with a 429 scripted on page 2, and reads the journal", async ({ openmic }) => {
    await openmic.pushFault({ status: 429, retry_after: 1, query: { offset: 100 } });
    const seen: string[] = [];
    let offset = 0;
    for (;;) {
      const answer = await fetch(`${openmic.baseUrl}/v1/calls?limit=100&offset=${offset}`, {
        headers: { authorization: `Bearer ${openmic.apiKey}` },
      });
      if (answer.status === 429) {
        expect(answer.headers.get("retry-after")).toBe("1");
        continue;
      }
      const page = (await answer.json()) as CallsPage;
      seen.push(...page.calls.map((c) => c.call_id));
      offset += page.calls.length;
      if (!page.pagination.has_more) break;
    }
    expect(seen).toHaveLength(300);
    const statuses = (await openmic.requests({ path: "/v1/calls" })).map((r) => r.status);
    expect(statuses).toEqual([200, 429, 200, 200]);
  });

  test("follows a created call to ended on the virtual clock", async ({ openmic }) => {
    const [number] = await openmic.phoneNumbers();
    await openmic.pushOutcomes([{ status: "ended", ring_ms: 1000, talk_ms: 10_000 }]);
    const created = await fetch(`${openmic.baseUrl}/v1/create-phone-call`, {
      method: "POST",
      headers: { authorization: `Bearer ${openmic.apiKey}`, "content-type": "application/json" },
      body: JSON.stringify({ from_number: number!.phone_number, to_number: "+15551234567" }),
    });
    expect(created.status).toBe(201);
    const { call_id } = (await created.json()) as { call_id: string };
    await openmic.advance(20_000);
    const [call] = (await openmic.calls()).filter((c) => c.call_id === call_id);
    expect(call?.call_status).toBe("ended");
    expect(call?.duration_ms).toBe(10_000);
  });

  test("an admin refusal is an Error carrying the mock's message", async ({ openmic }) => {
    await expect(openmic.setFaults({ error_rate: 2 })).rejects.toThrow(AdminError);
    await expect(openmic.setFaults({ error_rate: 2 })).rejects.toThrow(/error_rate/);
  });

  test("await using stops a mock of the test's own", async () => {
    let pid: number | undefined;
    {
      await using own = await startMock();
      pid = own.pid;
      expect(own.running).toBe(true);
    }
    expect(() => process.kill(pid!, 0)).toThrow(expect.objectContaining({ code: "ESRCH" }));
  });
});
