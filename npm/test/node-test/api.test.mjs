// node:test, against the packed package as a user installs it (npm/test.sh). One mock for the file, a tenant per
// test: the recipe of npm/README.md, and the package's behaviours checked one by one.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, beforeEach, afterEach, test } from "node:test";
import { fileURLToPath } from "node:url";
import { AdminError, StartError, connectMock, findBinary, startMock } from "openmic-mock";

let mock;
let tenant;
let startupMs;

before(async () => {
  const start = performance.now();
  mock = await startMock({ args: ["--clock", "virtual"] });
  startupMs = performance.now() - start;
});
after(() => mock?.stop());
beforeEach(async () => {
  tenant = await mock.tenant();
});
afterEach(() => tenant.delete());

/** A request of the API with the tenant's key: the JSON, the status and the Retry-After header. */
async function api(path, init = {}) {
  const answer = await fetch(tenant.baseUrl + path, {
    ...init,
    headers: { authorization: `Bearer ${tenant.apiKey}`, "content-type": "application/json" },
  });
  return { status: answer.status, retryAfter: answer.headers.get("retry-after"), body: await answer.json() };
}

/** Every call, a page of 50 at a time, retrying a 429 once. */
async function listAll() {
  const calls = [];
  for (let offset = 0; ; ) {
    const page = await api(`/v1/calls?limit=50&offset=${offset}`);
    if (page.status === 429) {
      continue;
    }
    assert.equal(page.status, 200);
    calls.push(...page.body.calls);
    offset += page.body.calls.length;
    if (!page.body.pagination.has_more) {
      return calls;
    }
  }
}

test("starts on a free port, answers within seconds, and runs the platform package's binary", async () => {
  assert.match(mock.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.match(mock.startupLine, /listening on http:\/\/127\.0\.0\.1:\d+ with 300 calls/);
  assert.ok(startupMs < 5000, `started in ${startupMs} ms`);
  assert.match(findBinary(), /node_modules[\\/]@openmic-mock[\\/]linux-x64[\\/]bin[\\/]openmic-mock$/);
  console.log(`# startMock: first answer after ${startupMs.toFixed(0)} ms`);
});

test("pages through /v1/calls with a 429 scripted on page 2, and the journal shows it", async () => {
  await tenant.pushFault({ status: 429, retry_after: 2, query: { offset: 50 } });
  const calls = await listAll();
  assert.equal(calls.length, 300);
  assert.equal(new Set(calls.map((c) => c.call_id)).size, 300);
  const journal = await tenant.requests({ path: "/v1/calls" });
  assert.deepEqual(
    journal.map((r) => [r.raw_query, r.status]),
    [
      ["limit=50&offset=0", 200],
      ["limit=50&offset=50", 429],
      ["limit=50&offset=50", 200],
      ["limit=50&offset=100", 200],
      ["limit=50&offset=150", 200],
      ["limit=50&offset=200", 200],
      ["limit=50&offset=250", 200],
    ],
  );
  assert.deepEqual(journal[1].fault, { status: 429, retry_after: 2 });
  assert.equal((await tenant.requests({ status: 429 })).length, 1);
});

test("a created call follows the virtual clock to ended, and its webhook is in the deliveries", async (t) => {
  const received = [];
  const receiver = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => (body += chunk));
    req.on("end", () => {
      received.push(JSON.parse(body));
      res.end("{}");
    });
  });
  await new Promise((resolve) => receiver.listen(0, "127.0.0.1", resolve));
  const hook = `http://127.0.0.1:${receiver.address().port}/hook`;
  t.after(() => receiver.close());
  assert.deepEqual(await tenant.setWebhooks({ postCallUrl: hook }), {
    post_call_url: hook,
    pre_call_url: null,
    direction: "both",
  });
  assert.equal((await tenant.webhooks()).post_call_url, hook);
  const [number] = await tenant.phoneNumbers();
  assert.equal(await tenant.pushOutcomes({ status: "ended", ring_ms: 2000, talk_ms: 30000 }), 1);
  const created = await api("/v1/create-phone-call", {
    method: "POST",
    body: JSON.stringify({ from_number: number.phone_number, to_number: "+15551234567" }),
  });
  assert.equal(created.status, 201);
  assert.equal(created.body.call_status, "registered");
  const id = created.body.call_id;
  const start = await tenant.now();
  assert.equal(await tenant.advance(5000), start + 5000);
  assert.equal((await api(`/v1/call/${id}`)).body.call_status, "ongoing");
  await tenant.advance(60_000);
  const ended = (await api(`/v1/call/${id}`)).body;
  assert.equal(ended.call_status, "ended");
  assert.ok(ended.end_timestamp > ended.start_timestamp);
  assert.deepEqual(await tenant.outcomes(), []);
  const deliveries = await tenant.webhookDeliveries({ callId: id, kind: "post-call" });
  assert.deepEqual(deliveries.map((d) => [d.kind, d.url, d.ok, d.status]), [["post-call", hook, true, 200]]);
  assert.equal(received.length, 1);
  assert.equal(JSON.stringify(received[0]).includes(id), true);
  assert.equal((await tenant.clearWebhooks()).post_call_url, null);
});

test("a refusal of the admin API reaches the test as an Error with the mock's message", async () => {
  await assert.rejects(tenant.pushFault({ kind: "explode" }), (err) => {
    assert.ok(err instanceof AdminError && err instanceof Error);
    assert.equal(err.status, 400);
    assert.match(err.message, /`fault\.kind` must be one of "reset", "timeout", "malformed", got "explode"/);
    return true;
  });
  await assert.rejects(tenant.setCalls([{ call_id: "x" }]), (err) => {
    assert.equal(err.status, 400);
    assert.match(err.message, /call #0 \(call_id "x"\)/);
    assert.ok(Array.isArray(err.body.problems));
    return true;
  });
  await assert.rejects(tenant.removeCall("no-such-call"), { name: "AdminError", status: 404 });
  await assert.rejects(tenant.advance(-1), { status: 400 });
  await assert.rejects(mock.tenant(mock.apiKey), { status: 409, message: /API key of the default data set/ });
});

test("data, bots and phone numbers change per tenant, and another key sees none of it", async () => {
  const [first, second] = await tenant.calls();
  assert.equal(await tenant.setCalls([first, second]), 2);
  assert.equal(await tenant.upsertCall({ ...first, customer_id: "c-1" }), true);
  assert.equal(await tenant.removeCall(second.call_id), 1);
  assert.deepEqual((await tenant.calls()).map((c) => c.customer_id), ["c-1"]);
  const bots = await tenant.bots();
  assert.ok(bots.length > 0);
  assert.equal(await tenant.removeBot(bots[0].uid), bots.length - 1);
  const numbers = await tenant.phoneNumbers();
  assert.equal(await tenant.upsertPhoneNumber({ ...numbers[0], name: "Front desk" }), true);
  assert.equal((await tenant.phoneNumbers()).find((n) => n.name === "Front desk")?.phone_number_id, numbers[0].phone_number_id);
  assert.equal((await mock.calls()).length, 300);
  assert.equal((await mock.bots()).length, 6);
  const faults = await tenant.setFaults({ error_rate: 1, error_status: 503 });
  assert.equal(faults.error_status, 503);
  assert.equal((await api("/v1/calls")).status, 503);
  assert.equal((await fetch(`${mock.baseUrl}/v1/calls`, { headers: { authorization: "Bearer test-key" } })).status, 200);
  await tenant.clearFaults();
  assert.equal((await api("/v1/calls")).status, 200);
});

test("the rest of the control plane: adds, account, fault queue, outcomes, clock, inbound calls, resets", async () => {
  const [first] = await tenant.calls();
  assert.equal(await tenant.removeCall(first.call_id), 299);
  assert.equal(await tenant.addCalls(first), 300);
  await assert.rejects(tenant.addCalls([first]), { status: 409 });
  const bots = await tenant.bots();
  assert.equal(await tenant.setBots(bots), bots.length);
  assert.equal(await tenant.upsertBot({ ...bots[0], name: "Renamed" }), true);
  assert.equal((await tenant.bots()).filter((b) => b.name === "Renamed").length, 1);
  const numbers = await tenant.phoneNumbers();
  assert.equal(await tenant.setPhoneNumbers(numbers), numbers.length);
  assert.equal(await tenant.removePhoneNumber(numbers.at(-1).phone_number_id), numbers.length - 1);
  await tenant.pushFault({ status: 500, path: "/v1/bots" });
  assert.deepEqual((await tenant.faults()).next, [{ status: 500, path: "/v1/bots", after: 0, times: 1 }]);
  assert.equal(await tenant.pushOutcomes([{ status: "ended" }, { status: "error" }]), 2);
  assert.equal(await tenant.clearOutcomes(), 2);
  const clock = await tenant.clock();
  assert.equal(clock.mode, "virtual");
  assert.equal(await tenant.setNow(clock.now + 1000), clock.now + 1000);
  const inbound = await tenant.inboundCall({ fromNumber: "+15550001111", toNumber: numbers[0].phone_number });
  assert.equal(inbound.direction, "inbound");
  assert.equal(inbound.from_number, "+15550001111");
  await tenant.advance(3_600_000);
  await assert.rejects(tenant.sendWebhook(inbound.call_id), { name: "AdminError", status: 409 });
  assert.equal(await tenant.reset(), 300);
  await fetch(`${mock.baseUrl}/v1/calls`, { headers: { authorization: "Bearer test-key" } });
  assert.ok((await mock.clearRequests()) >= 1);
  assert.deepEqual(await mock.requests(), []);
  assert.equal(await mock.reset(), 300);
});

test("connectMock reaches the same mock, and a deleted tenant's key stops being valid", async () => {
  const other = connectMock({ baseUrl: `${mock.baseUrl}/` });
  const keys = (await other.tenants()).map((t) => t.api_key);
  assert.ok(keys.includes(tenant.apiKey));
  const second = await other.tenant("a-key-of-its-own");
  assert.equal(second.apiKey, "a-key-of-its-own");
  await second.delete();
  await second.delete();
  const answer = await fetch(`${mock.baseUrl}/v1/calls`, { headers: { authorization: "Bearer a-key-of-its-own" } });
  assert.equal(answer.status, 401);
});

test("stop() ends the process, leaves none behind, and is safe twice", async () => {
  const own = await startMock();
  const pid = own.pid;
  assert.equal(processExists(pid), true);
  assert.equal(await own.stop(), 0);
  assert.equal(await own.stop(), 0);
  assert.equal(own.running, false);
  assert.equal(processExists(pid), false);
  await assert.rejects(own.now(), /openmic-mock exited/);
});

test("[Symbol.asyncDispose] (what `await using` calls) stops the mock", async () => {
  const own = await startMock();
  assert.equal(processExists(own.pid), true);
  await own[Symbol.asyncDispose]();
  assert.equal(processExists(own.pid), false);
});

test("calls() and requests() read past the admin API's page of 1,000", async () => {
  const big = await startMock({ args: ["--generate", "1500", "--journal-size", "2000"] });
  try {
    const calls = await big.calls();
    assert.equal(calls.length, 1500);
    assert.equal(new Set(calls.map((c) => c.call_id)).size, 1500);
    const headers = { authorization: "Bearer test-key" };
    for (let batch = 0; batch < 11; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, async () => (await fetch(`${big.baseUrl}/v1/calls?limit=1`, { headers })).arrayBuffer()),
      );
    }
    const journal = await big.requests();
    assert.equal(journal.length, 1100);
    assert.deepEqual(journal.map((r) => r.seq), Array.from({ length: 1100 }, (_, i) => i + 1));
  } finally {
    await big.stop();
  }
});

test("on 0.0.0.0 with an admin key, the handle talks to 127.0.0.1 and sends the key", async () => {
  const open = await startMock({ args: ["--host", "0.0.0.0"], adminKey: "admin-secret" });
  try {
    assert.match(open.startupLine, /listening on http:\/\/0\.0\.0\.0:/);
    assert.match(open.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal((await open.calls()).length, 300);
    const refused = await fetch(`${open.baseUrl}/__admin/calls`);
    assert.equal(refused.status, 401);
  } finally {
    await open.stop();
  }
});

test("stop() kills a mock that ignores SIGTERM after stopTimeoutMs", async () => {
  // A stand-in binary: prints the startup line, answers the health check, ignores SIGTERM.
  const dir = mkdtempSync(join(tmpdir(), "openmic-npm-"));
  const binary = join(dir, "stubborn-mock");
  writeFileSync(
    binary,
    `#!${process.execPath}
process.on("SIGTERM", () => {});
const server = require("node:http").createServer((req, res) => res.end('{"status":"ok"}'));
server.listen(0, "127.0.0.1", () => console.log("openmic-mock listening on http://127.0.0.1:" + server.address().port));
`,
  );
  chmodSync(binary, 0o755);
  try {
    const stubborn = await startMock({ binary, stopTimeoutMs: 300 });
    const pid = stubborn.pid;
    const start = performance.now();
    assert.equal(await stubborn.stop(), null);
    assert.ok(performance.now() - start >= 250);
    assert.equal(processExists(pid), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a mock its owner forgot to stop is stopped when Node exits", async () => {
  const script = 'import { startMock } from "openmic-mock"; const m = await startMock(); console.log(m.pid); process.exit(0);';
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd: fileURLToPath(new URL("..", import.meta.url)),
    encoding: "utf8",
  });
  assert.equal(run.status, 0, run.stderr);
  const pid = Number(run.stdout.trim());
  assert.ok(pid > 0);
  const deadline = Date.now() + 5000;
  while (processExists(pid) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(processExists(pid), false);
});

test("a mock that cannot start rejects with a StartError carrying what it printed", async () => {
  await assert.rejects(startMock({ args: ["--fixtures", "/no/such/file.json"] }), (err) => {
    assert.ok(err instanceof StartError);
    assert.equal(err.exitCode, 1);
    assert.match(err.message, /\/no\/such\/file\.json/);
    return true;
  });
  await assert.rejects(startMock({ binary: "/no/such/binary" }), { name: "StartError", message: /cannot run \/no\/such\/binary/ });
});

test("OPENMIC_MOCK_* variables of the test process do not reach the mock; the env option does", async () => {
  process.env.OPENMIC_MOCK_GENERATE = "7";
  try {
    const plain = await startMock();
    assert.equal((await plain.calls()).length, 300);
    await plain.stop();
    const generated = await startMock({ env: { OPENMIC_MOCK_GENERATE: "5" }, apiKey: "k-1", port: 0 });
    assert.equal((await generated.calls()).length, 5);
    assert.equal(generated.apiKey, "k-1");
    const answer = await fetch(`${generated.baseUrl}/v1/calls`, { headers: { authorization: "Bearer k-1" } });
    assert.equal(answer.status, 200);
    await generated.stop();
  } finally {
    delete process.env.OPENMIC_MOCK_GENERATE;
  }
});

test("findBinary takes OPENMIC_MOCK_BINARY and OPENMIC_CONTRACT_BINARY first", () => {
  const installed = findBinary("openmic-contract");
  assert.match(installed, /@openmic-mock[\\/]linux-x64[\\/]bin[\\/]openmic-contract$/);
  process.env.OPENMIC_MOCK_BINARY = "/opt/own/openmic-mock";
  process.env.OPENMIC_CONTRACT_BINARY = "/opt/own/openmic-contract";
  try {
    assert.equal(findBinary(), "/opt/own/openmic-mock");
    assert.equal(findBinary("openmic-contract"), "/opt/own/openmic-contract");
  } finally {
    delete process.env.OPENMIC_MOCK_BINARY;
    delete process.env.OPENMIC_CONTRACT_BINARY;
  }
});

test("npx openmic-mock and npx openmic-contract run the binaries with their flags", () => {
  const cwd = fileURLToPath(new URL("..", import.meta.url));
  for (const tool of ["openmic-mock", "openmic-contract"]) {
    const run = spawnSync("npm", ["exec", "--offline", "--", tool, "--version"], { cwd, encoding: "utf8" });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stdout.trim(), `${tool} 0.1.0`);
  }
  const bad = spawnSync("npm", ["exec", "--offline", "--", "openmic-mock", "--no-such-flag"], { cwd, encoding: "utf8" });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--no-such-flag/);
});

test("without its platform package, the command says what to do", () => {
  // npm/bin/ of the source tree: the same script, where no @openmic-mock/* package can be found.
  const script = fileURLToPath(new URL("../../bin/openmic-mock.cjs", import.meta.url));
  const env = { ...process.env };
  delete env.OPENMIC_MOCK_BINARY;
  const run = spawnSync(process.execPath, [script, "--version"], { encoding: "utf8", env });
  assert.equal(run.status, 1);
  assert.match(run.stderr, /the package @openmic-mock\/linux-x64, which holds the openmic-mock binary for this platform, is not installed/);
  assert.match(run.stderr, /set OPENMIC_MOCK_BINARY to its path/);
  const binary = findBinary();
  const overridden = spawnSync(process.execPath, [script, "--version"], {
    encoding: "utf8",
    env: { ...env, OPENMIC_MOCK_BINARY: binary },
  });
  assert.equal(overridden.status, 0, overridden.stderr);
});

function processExists(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    assert.equal(err.code, "ESRCH");
    return false;
  }
}
