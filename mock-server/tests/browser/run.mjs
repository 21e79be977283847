// The web page of openmic-mock (/__admin/ui), tested in a real Chromium driven by playwright-core.
//
// Each test starts the `openmic-mock` binary on a free port (OPENMIC_MOCK_BIN, else
// $CARGO_TARGET_DIR/debug/openmic-mock, else target/debug/openmic-mock), plays a client with Node's fetch,
// and checks what the page shows and does. `--screenshots DIR` also saves a picture of each view there.
//
// Usage: node run.mjs [--screenshots DIR] [FILTER]     (CHROMIUM overrides /usr/bin/chromium)

import { spawn } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, "../../..");
const args = process.argv.slice(2);
const shotsAt = args.indexOf("--screenshots");
const shotsDir = shotsAt >= 0 ? path.resolve(args.splice(shotsAt, 2)[1]) : null;
const filter = args[0] || "";

const bin = process.env.OPENMIC_MOCK_BIN
  || [process.env.CARGO_TARGET_DIR, path.join(root, "target")]
    .filter(Boolean)
    .map((dir) => path.join(dir, "debug", "openmic-mock"))
    .find((file) => existsSync(file));
if (!bin || !existsSync(bin)) {
  console.error("no openmic-mock binary: build it (cargo build -p openmic-mock) or set OPENMIC_MOCK_BIN");
  process.exit(2);
}
const executablePath = process.env.CHROMIUM || "/usr/bin/chromium";
const KEY = "test-key";
const children = new Set();

// ---- helpers ----

/** Starts the mock with `extra` flags on a free port; resolves to its URL once it prints its startup line. */
function startMock(extra = []) {
  const child = spawn(bin, ["--port", "0", ...extra], { stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let stderr = "";
  child.stderr.on("data", (chunk) => { stderr += chunk; });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the mock did not start in 20 s: " + stderr)), 20000);
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      const url = line.match(/listening on (http:\/\/\S+)/)?.[1];
      if (!url) reject(new Error("no URL in " + line));
      else resolve({ url, line, stop: () => { child.kill(); children.delete(child); } });
    });
    child.once("exit", (code) => reject(new Error("the mock exited with " + code + ": " + stderr)));
  });
}

/** A request as a client makes it. */
async function call(base, method, route, { body, key = KEY, headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (key) init.headers.authorization = "Bearer " + key;
  if (body !== undefined) {
    init.headers["content-type"] ??= "application/json";
    init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const response = await fetch(base + route, init);
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
  return { status: response.status, headers: response.headers, text, json };
}

/** An HTTP server on a free loopback port: `handler(req, body, res)`. */
function serve(handler) {
  const server = http.createServer((req, res) => {
    let body = "";
    req.on("data", (chunk) => { body += chunk; });
    req.on("end", () => handler(req, body, res));
  });
  return new Promise((resolve) => server.listen(0, "127.0.0.1", () => resolve({
    url: "http://127.0.0.1:" + server.address().port,
    port: server.address().port,
    close: () => new Promise((done) => { server.closeAllConnections(); server.close(done); }),
  })));
}

function assert(condition, message) {
  if (!condition) throw new Error("assertion failed: " + message);
}

let browser;
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  page.problems = [];
  page.on("pageerror", (err) => page.problems.push("page error: " + err.message));
  page.on("console", (msg) => { if (msg.type() === "error") page.problems.push("console: " + msg.text()); });
  return page;
}

async function shot(page, name) {
  if (!shotsDir) return;
  mkdirSync(shotsDir, { recursive: true });
  await page.screenshot({ path: path.join(shotsDir, "ui-" + name + ".png") });
}

/** The account's first number, to create calls from. */
async function fromNumber(base) {
  const numbers = await call(base, "GET", "/v1/phone-numbers");
  return numbers.json.phone_numbers[0].phone_number;
}

// ---- the tests ----

const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test("requests_a_client_makes_appear_within_two_seconds_and_a_row_opens_the_answer", async () => {
  const mock = await startMock();
  const page = await newPage();
  await page.goto(mock.url + "/__admin/ui");
  await page.locator("#status", { hasText: "live" }).waitFor();
  const sent = await call(mock.url, "GET", "/v1/calls?limit=2&call_status=ended&colour=red");
  assert(sent.status === 200, "the client's request succeeds");
  const started = Date.now();
  const row = page.locator("#requests-table tbody tr", { hasText: "/v1/calls" });
  await row.waitFor({ timeout: 2000 });
  const waited = Date.now() - started;
  console.log("    the request appeared after " + waited + " ms");
  const cells = await row.locator("td").allTextContents();
  assert(cells[2] === "GET" && cells[3] === "200", "method and status: " + cells);
  assert(cells[6] === "limit=2 call_status=ended colour=red", "the decoded query: " + cells[6]);
  assert(cells[8].includes("colour"), "the warning header is shown: " + cells[8]);
  assert(await page.isHidden("#key-form"), "no key is asked for when the mock has none");
  await row.click();
  const body = await page.locator("#answer-body").textContent();
  const first = sent.json.calls[0].call_id;
  assert(body.includes(first) && body.includes('"pagination"'), "the answer's body is shown");
  const detail = await page.locator("#request-detail").textContent();
  assert(detail.includes("Bearer [redacted]") && !detail.includes(KEY), "credentials stay redacted: " + detail);
  // Keyboard: the row is reachable and opens with Enter.
  await call(mock.url, "GET", "/v1/call/" + first);
  const second = page.locator("#requests-table tbody tr", { hasText: "/v1/call/" + first });
  await second.waitFor({ timeout: 2000 });
  await second.focus();
  await page.keyboard.press("Enter");
  await page.locator("#request-detail h2", { hasText: "/v1/call/" + first }).waitFor();
  // A few more of what a client meets, for the picture: a 401, a scripted 429 and its retry, another list.
  await call(mock.url, "GET", "/v1/calls?limit=1", { key: null });
  await call(mock.url, "POST", "/__admin/faults/next", { key: null, body: { status: 429, retry_after: 2 } });
  await call(mock.url, "GET", "/v1/calls?limit=50&offset=50&to_number=%2B15551234567");
  await call(mock.url, "GET", "/v1/calls?limit=50&offset=50&to_number=%2B15551234567");
  await call(mock.url, "GET", "/v1/bots?limit=5");
  await page.locator("#requests-table tbody tr", { hasText: "/v1/bots" }).waitFor({ timeout: 2000 });
  const faulted = await page.locator("#requests-table tbody tr", { hasText: "429" }).locator("td").allTextContents();
  assert(faulted[7] === "429 (retry 2 s)", "the fault applied is shown: " + faulted);
  await shot(page, "requests");
  // A filter as the journal's: only 404s.
  await call(mock.url, "GET", "/v1/call/no-such-call");
  await page.fill("#requests-filter [name=status]", "404");
  await page.click("#requests-filter button[type=submit]");
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll("#requests-table tbody tr")];
    return rows.length === 1 && rows[0].textContent.includes("no-such-call");
  }, null, { timeout: 2000 });
  assert(page.problems.length === 0, page.problems.join("; "));
  mock.stop();
});

test("a_fault_scripted_from_the_page_is_what_the_next_api_request_gets", async () => {
  const mock = await startMock();
  const page = await newPage();
  await page.goto(mock.url + "/__admin/ui#controls");
  await page.selectOption("#fault-form [name=kind]", "status");
  await page.fill("#fault-form [name=status]", "503");
  await page.fill("#fault-form [name=retry_after]", "7");
  await page.fill("#fault-form [name=path]", "/v1/calls");
  const json = JSON.parse(await page.inputValue("#fault-json"));
  assert(JSON.stringify(json) === JSON.stringify({ status: 503, retry_after: 7, path: "/v1/calls" }), "the JSON the form builds: " + JSON.stringify(json));
  await page.click("#fault-form button[type=submit]");
  await page.locator("#status", { hasText: "fault scripted" }).waitFor();
  await page.locator("#faults", { hasText: "503" }).waitFor({ timeout: 2000 });
  await shot(page, "controls");
  // The page kept polling while the fault waited: none of that spent it.
  await page.waitForTimeout(1200);
  const hit = await call(mock.url, "GET", "/v1/calls");
  assert(hit.status === 503 && hit.headers.get("retry-after") === "7", "the next request gets the fault: " + hit.status);
  assert((await call(mock.url, "GET", "/v1/calls")).status === 200, "and only it");
  // Clear faults and reset from the page.
  await call(mock.url, "POST", "/__admin/faults/next", { body: { status: 500 }, key: null });
  await page.click("#faults-clear");
  await page.locator("#status", { hasText: "faults cleared" }).waitFor();
  assert((await call(mock.url, "GET", "/v1/calls")).status === 200, "cleared faults apply no more");
  await call(mock.url, "DELETE", "/__admin/calls/" + (await call(mock.url, "GET", "/v1/calls?limit=1")).json.calls[0].call_id, { key: null, body: "" });
  const before = (await call(mock.url, "GET", "/__admin/health")).json.calls;
  page.once("dialog", (dialog) => dialog.accept());
  await page.click("#reset");
  await page.locator("#status", { hasText: "data reset" }).waitFor();
  const after = (await call(mock.url, "GET", "/__admin/health")).json.calls;
  assert(after === before + 1, "reset restores the startup data: " + before + " -> " + after);
  assert(page.problems.length === 0, page.problems.join("; "));
  mock.stop();
});

test("the_data_view_lists_with_the_apis_filters_and_shows_the_curl_line_and_a_transcript", async () => {
  const mock = await startMock();
  const page = await newPage();
  await page.goto(mock.url + "/__admin/ui#data");
  await page.selectOption("#calls-filter [name=call_status]", "ended");
  await page.fill("#calls-filter [name=limit]", "5");
  await page.click("#calls-filter button[type=submit]");
  const expected = await call(mock.url, "GET", "/v1/calls?call_status=ended&limit=5");
  await page.waitForFunction((ids) => {
    const shown = [...document.querySelectorAll("#calls-table tbody tr")].map((r) => r.dataset.id);
    return shown.join() === ids.join();
  }, expected.json.calls.map((c) => c.call_id), { timeout: 3000 });
  const curl = await page.textContent("#calls-curl");
  assert(curl === "curl -s -H 'Authorization: Bearer $OPENMIC_API_KEY' '" + mock.url + "/v1/calls?call_status=ended&limit=5'", "the curl line: " + curl);
  await page.click("#calls-table tbody tr >> nth=0");
  await page.locator("#call-detail .transcript p").first().waitFor();
  const transcript = await page.locator("#call-detail .transcript").textContent();
  assert(transcript.includes(expected.json.calls[0].transcript[0][1]), "the transcript is shown");
  await page.locator("#bots-table tbody tr").first().waitFor();
  await page.locator("#numbers-table tbody tr").first().waitFor();
  await shot(page, "data");
  // Looking at the data is not a request of the client: the journal stays empty.
  const journal = await call(mock.url, "GET", "/__admin/requests", { key: null });
  assert(journal.json.requests.length === 1, "only the test's own request is journaled: " + journal.json.requests.length);
  assert(page.problems.length === 0, page.problems.join("; "));
  mock.stop();
});

test("advancing_a_virtual_clock_from_the_page_ends_a_created_call_and_its_delivery_is_shown", async () => {
  const received = [];
  const receiver = await serve((req, body, res) => { received.push(body); res.writeHead(200).end("{}"); });
  const mock = await startMock(["--clock", "virtual"]);
  await call(mock.url, "PUT", "/__admin/webhooks", { key: null, body: { post_call_url: receiver.url + "/post-call" } });
  const page = await newPage();
  await page.goto(mock.url + "/__admin/ui#time");
  await page.fill("#outcomes-form [name=body]", '[{"status": "ended", "ring_ms": 2000, "talk_ms": 30000}]');
  await page.click("#outcomes-form button[type=submit]");
  await page.locator("#outcomes", { hasText: "1 queued" }).waitFor({ timeout: 2000 });
  const created = await call(mock.url, "POST", "/v1/create-phone-call", {
    body: { from_number: await fromNumber(mock.url), to_number: "+15551234567" },
  });
  assert(created.status === 201, "created: " + created.text);
  const id = created.json.call_id;
  const row = page.locator("#created-table tbody tr", { hasText: id });
  await row.locator(".call-status", { hasText: "registered" }).waitFor({ timeout: 3000 });
  const clockBefore = await page.textContent("#clock-now");
  await page.fill("#clock-advance [name=ms]", "60000");
  await page.click("#clock-advance button[type=submit]");
  await row.locator(".call-status", { hasText: "ended" }).waitFor({ timeout: 3000 });
  assert(await page.textContent("#clock-now") !== clockBefore, "the clock moved");
  await shot(page, "time");
  assert(received.length === 1 && received[0].includes(id), "the receiver got the report");
  await page.click("button.tab[data-view=webhooks]");
  const delivery = page.locator("#deliveries-table tbody tr", { hasText: id });
  await delivery.waitFor({ timeout: 2000 });
  await delivery.click();
  const payload = await page.textContent("#delivery-body");
  assert(payload.includes(id) && payload.includes("end-of-call-report"), "the delivery's payload is shown");
  await page.click("#resend");
  await page.locator("#deliveries-table tbody tr", { hasText: id }).nth(1).waitFor({ timeout: 3000 });
  assert(received.length === 2, "sent again: " + received.length);
  await page.locator("#deliveries-table tbody tr", { hasText: id }).first().click();
  await page.locator("#delivery-detail li").nth(1).waitFor();
  await shot(page, "webhooks");
  assert(page.problems.length === 0, page.problems.join("; "));
  mock.stop();
  await receiver.close();
});

test("with_an_admin_key_the_page_is_refused_without_it_and_works_with_it", async () => {
  const mock = await startMock(["--admin-key", "s3cret-admin"]);
  const page = await newPage();
  await page.goto(mock.url + "/__admin/ui");
  await page.locator("#key-form").waitFor({ state: "visible", timeout: 3000 });
  const refused = await page.evaluate(async () => (await fetch("/__admin/requests")).status);
  assert(refused === 401, "the page's data needs the key: " + refused);
  await call(mock.url, "GET", "/v1/calls?limit=1");
  await page.waitForTimeout(800);
  assert(await page.locator("#requests-table tbody tr").count() === 0, "nothing is shown without the key");
  await page.fill("#key-input", "wrong");
  await page.press("#key-input", "Enter");
  await page.locator("#key-form").waitFor({ state: "visible", timeout: 3000 });
  await page.locator("#status", { hasText: "refused" }).waitFor();
  await page.fill("#key-input", "s3cret-admin");
  await page.press("#key-input", "Enter");
  await page.locator("#requests-table tbody tr", { hasText: "/v1/calls" }).waitFor({ timeout: 2000 });
  assert(!page.url().includes("s3cret"), "the key is never in the URL");
  const stored = await page.evaluate(() => [sessionStorage.length, localStorage.length, document.cookie]);
  assert(stored[0] === 1 && stored[1] === 0 && stored[2] === "", "kept for the tab only: " + stored);
  const other = await newPage();
  await other.goto(mock.url + "/__admin/ui");
  await other.locator("#key-form").waitFor({ state: "visible", timeout: 3000 });
  assert(page.problems.every((p) => p.includes("401")), page.problems.join("; "));
  mock.stop();
});

test("a_page_on_another_origin_cannot_drive_any_action", async () => {
  const mock = await startMock(["--clock", "virtual"]);
  const mockPort = new URL(mock.url).port;
  const evil = await serve((req, body, res) => {
    res.writeHead(200, { "content-type": "text/html" });
    res.end(`<!doctype html><title>elsewhere</title>
<iframe id="framed" src="${mock.url}/__admin/ui"></iframe>
<form id="f" method="POST" action="${mock.url}/__admin/reset" enctype="text/plain" target="sink"><input name='{"x":"' value='"}'></form>
<iframe name="sink"></iframe>`);
  });
  await call(mock.url, "DELETE", "/__admin/calls/" + (await call(mock.url, "GET", "/v1/calls?limit=1")).json.calls[0].call_id, { key: null, body: "" });
  const calls = (await call(mock.url, "GET", "/__admin/health")).json.calls;
  const clock = (await call(mock.url, "GET", "/__admin/clock")).json.now;
  const page = await newPage();
  await page.goto(evil.url + "/");
  const outcomes = await page.evaluate(async (base) => {
    const tries = [];
    const attempt = async (name, url, init) => {
      try { const r = await fetch(url, init); tries.push(name + ": " + r.type + " " + r.status); }
      catch (err) { tries.push(name + ": blocked"); }
    };
    await attempt("json fault", base + "/__admin/faults/next", { method: "POST", headers: { "content-type": "application/json" }, body: '{"status":500}' });
    await attempt("text fault", base + "/__admin/faults/next", { method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body: '{"status":500}' });
    await attempt("form clock", base + "/__admin/clock/advance", { method: "POST", mode: "no-cors", body: new URLSearchParams({ ms: "1000" }) });
    await attempt("read journal", base + "/__admin/requests", {});
    navigator.sendBeacon(base + "/__admin/faults/next", new Blob(['{"status":500}'], { type: "text/plain" }));
    return tries;
  }, mock.url);
  assert(outcomes.includes("json fault: blocked") && outcomes.includes("read journal: blocked"), "a JSON write or a read needs CORS: " + outcomes);
  await page.evaluate(() => document.getElementById("f").submit());
  await page.waitForTimeout(500);
  // The framed page is refused by its Content-Security-Policy (frame-ancestors 'none').
  const framed = page.frames().find((f) => f !== page.mainFrame() && f.name() !== "sink");
  const loaded = await framed.evaluate(() => Boolean(document.getElementById("tenant"))).catch(() => false);
  assert(!loaded, "the page does not load in another site's frame");
  // DNS rebinding: a name of the attacker's that resolves to 127.0.0.1 is refused by the Host policy.
  const rebound = await page.goto("http://rebound.test:" + mockPort + "/__admin/ui");
  assert(rebound.status() >= 400 && !(await page.content()).includes("app.js"), "another Host is refused: " + rebound.status());
  const faults = (await call(mock.url, "GET", "/__admin/faults", { key: null })).json;
  assert(faults.next.length === 0, "no fault was scripted: " + JSON.stringify(faults));
  assert((await call(mock.url, "GET", "/__admin/health")).json.calls === calls, "no reset");
  assert((await call(mock.url, "GET", "/__admin/clock")).json.now === clock, "the clock did not move");
  console.log("    " + outcomes.join("; "));
  mock.stop();
  await evil.close();
});

test("with_no_admin_there_is_no_page_and_the_page_is_small_and_strict", async () => {
  const off = await startMock(["--no-admin"]);
  for (const file of ["/__admin/ui", "/__admin/ui/app.js", "/__admin"]) {
    assert((await call(off.url, "GET", file, { key: null })).status === 404, file + " is a 404 with --no-admin");
  }
  off.stop();
  const mock = await startMock();
  assert(mock.line.includes("web page at " + mock.url + "/__admin/ui"), "the startup line points at the page: " + mock.line);
  const index = await call(mock.url, "GET", "/__admin", { key: null });
  assert(index.json.ui === "/__admin/ui", "GET /__admin points at the page");
  let bytes = 0;
  for (const file of ["/__admin/ui", "/__admin/ui/app.js", "/__admin/ui/app.css"]) {
    const answer = await call(mock.url, "GET", file, { key: null });
    const csp = answer.headers.get("content-security-policy") || "";
    assert(answer.status === 200 && csp.includes("script-src 'self'") && csp.includes("frame-ancestors 'none'"), file + ": " + csp);
    assert(!answer.headers.get("access-control-allow-origin"), "no CORS header");
    bytes += Buffer.byteLength(answer.text);
  }
  console.log("    the page's files: " + bytes + " bytes");
  assert(bytes < 150 * 1024, "under 150 KB: " + bytes);
  // Offline: the page asks for nothing but its own origin.
  const page = await newPage();
  const elsewhere = [];
  page.on("request", (request) => { if (!request.url().startsWith(mock.url)) elsewhere.push(request.url()); });
  await page.goto(mock.url + "/__admin/ui");
  await page.locator("#status", { hasText: "live" }).waitFor();
  for (const view of ["data", "time", "webhooks", "controls", "requests"]) {
    await page.click("button.tab[data-view=" + view + "]");
    await page.waitForTimeout(300);
  }
  assert(elsewhere.length === 0, "requests elsewhere: " + elsewhere);
  // Keyboard: Tab goes from one view button to the next, Enter switches.
  await page.focus("button.tab[data-view=requests]");
  await page.keyboard.press("Tab");
  await page.keyboard.press("Enter");
  assert(await page.isVisible("#view-data"), "the second tab opened with the keyboard");
  assert(page.problems.length === 0, page.problems.join("; "));
  mock.stop();
});

// ---- the runner ----

async function main() {
  browser = await chromium.launch({
    executablePath,
    args: ["--no-sandbox", "--host-resolver-rules=MAP rebound.test 127.0.0.1"],
  });
  let passed = 0;
  let failed = 0;
  for (const { name, fn } of tests.filter((t) => t.name.includes(filter))) {
    const started = Date.now();
    try {
      await fn();
      passed++;
      console.log("ok   " + name + " (" + (Date.now() - started) + " ms)");
    } catch (err) {
      failed++;
      console.log("FAIL " + name + "\n     " + (err.stack || err).toString().split("\n").slice(0, 4).join("\n     "));
    } finally {
      for (const context of browser.contexts()) await context.close();
    }
  }
  await browser.close();
  console.log("browser tests: " + passed + " passed, " + failed + " failed");
  return failed === 0 ? 0 : 1;
}

main()
  .then((code) => { for (const child of children) child.kill(); process.exit(code); })
  .catch((err) => { console.error(err); for (const child of children) child.kill(); process.exit(1); });
