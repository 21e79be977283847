// A consumer of the types, compiled with `strict` (and without lib esnext.disposable: the package's declarations
// bring it). Lines marked @ts-expect-error must stay errors: the types reject what the mock would refuse.
import {
  AdminError,
  type Call,
  type CallsPage,
  type Fault,
  type JournalEntry,
  type MockServer,
  type ScriptedFault,
  type Tenant,
  startMock,
} from "openmic-mock";

export async function consumer(): Promise<void> {
  await using mock: MockServer = await mock_();
  await using tenant: Tenant = await mock.tenant();
  const page = (await (await fetch(`${tenant.baseUrl}/v1/calls`)).json()) as CallsPage;
  const first: Call | undefined = page.calls[0];
  const status: "registered" | "ongoing" | "ended" | "error" | undefined = first?.call_status;
  const total: number = page.pagination.total;
  const fault: ScriptedFault = { status: 429, retry_after: 2, query: { offset: 50 }, times: null };
  await tenant.pushFault(fault);
  await tenant.pushFault({ kind: "timeout", ms: 5000, path: "/v1/calls" });
  // @ts-expect-error a timeout needs its ms
  await tenant.pushFault({ kind: "timeout" });
  // @ts-expect-error no such kind
  const wrong: Fault = { kind: "explode" };
  const journal: JournalEntry[] = await tenant.requests({ path: "/v1/call/*", status: 0, since: 0 });
  const code: number | null | undefined = journal[0]?.status;
  const now: number = await tenant.advance(1000);
  const replaced: boolean = await tenant.upsertCall({ ...first!, customer_id: "c-1", fixture_field: true });
  // @ts-expect-error a call has a call_id
  await tenant.upsertCall({ call_status: "ended" });
  try {
    await tenant.setFaults({ error_rate: 2 });
  } catch (err) {
    if (err instanceof AdminError) {
      const message: string = err.message;
      const httpStatus: number = err.status;
      void [message, httpStatus];
    }
  }
  const exitCode: number | null = await mock.stop();
  void [status, total, wrong, code, now, replaced, exitCode];
}

function mock_(): Promise<MockServer> {
  return startMock({ args: ["--clock", "virtual"], env: { RUST_LOG: "warn" }, port: 0 });
}
