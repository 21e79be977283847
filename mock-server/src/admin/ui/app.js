// openmic-mock's web page. Everything shown is read through the admin API (same origin, JSON, the admin key
// from sessionStorage when the mock has one); nothing is built as HTML from data (textContent only), since
// the journal shows whatever a client sent.
"use strict";

const KEY_ITEM = "openmic-mock.admin-key";
const POLL_MS = 500;
const MAX_ROWS = 500;

const ui = {
  view: "requests",
  tenant: "",
  paused: false,
  requests: [],          // newest first
  lastSeq: null,         // the journal's last seq read, null before the first page
  filter: "",            // the journal filter's query string
  selectedSeq: null,
  deliveries: [],        // newest first
  deliveriesAfter: 0,
  selectedDelivery: null,
  callsQuery: "",
  needKey: false,
  busy: false,
  pollError: false,
  createdBySeq: new Map(), // journal seq of a create -> the call it answered
};

// ---- small helpers ----

const $ = (sel) => document.querySelector(sel);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

function pretty(text) {
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return text; }
}

function say(text, isError) {
  const status = $("#status");
  status.textContent = text;
  status.classList.toggle("error", Boolean(isError));
}

function time(ms) {
  return typeof ms === "number" ? new Date(ms).toISOString().replace(".000Z", "Z") : "";
}

function statusClass(status) {
  return "s" + (status === null || status === undefined ? 0 : Math.floor(status / 100));
}

function keyed(rows, onOpen) {
  // Rows open with a click, Enter or Space; arrow keys move between them.
  for (const row of rows) {
    row.tabIndex = 0;
    row.addEventListener("click", () => onOpen(row));
    row.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); onOpen(row); }
      else if (event.key === "ArrowDown" && row.nextElementSibling) { event.preventDefault(); row.nextElementSibling.focus(); }
      else if (event.key === "ArrowUp" && row.previousElementSibling) { event.preventDefault(); row.previousElementSibling.focus(); }
    });
  }
}

function closeButton(panel) {
  return el("button", { type: "button", "aria-label": "Close", onclick: () => { panel.hidden = true; } }, "Close");
}

// ---- the admin API ----

class AdminError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

function scoped(rest) {
  return ui.tenant ? "/__admin/tenants/" + encodeURIComponent(ui.tenant) + rest : "/__admin" + rest;
}

async function admin(method, path, body) {
  const headers = { Accept: "application/json" };
  const key = sessionStorage.getItem(KEY_ITEM);
  if (key) headers.Authorization = "Bearer " + key;
  const init = { method, headers, cache: "no-store", credentials: "omit", redirect: "error" };
  if (method !== "GET") {
    headers["Content-Type"] = "application/json";
    if (body !== undefined) init.body = typeof body === "string" ? body : JSON.stringify(body);
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let json = null;
  try { json = JSON.parse(text); } catch (_) { /* not JSON */ }
  if (response.status === 401) {
    askForKey(Boolean(key));
    throw new AdminError(401, key ? "the admin key was refused" : "the admin key is needed");
  }
  if (!response.ok) {
    const message = json && (json.message || json.error) ? (json.message || json.error) : text;
    throw new AdminError(response.status, response.status + ": " + message);
  }
  return { json, text, response };
}

function askForKey(wrong) {
  ui.needKey = true;
  const form = $("#key-form");
  if (form.hidden) {
    form.hidden = false;
    $("#key-input").focus();
  }
  say(wrong ? "the admin key was refused" : "the admin key is needed", true);
}

$("#key-form").addEventListener("submit", (event) => {
  event.preventDefault();
  sessionStorage.setItem(KEY_ITEM, $("#key-input").value);
  $("#key-input").value = "";
  $("#key-form").hidden = true;
  ui.needKey = false;
  say("");
  refreshNow();
});

async function act(what, fn) {
  try {
    const result = await fn();
    say(what);
    refreshNow();
    return result;
  } catch (err) {
    say(err.message, true);
    return null;
  }
}

// ---- views ----

function show(view) {
  ui.view = view;
  for (const tab of document.querySelectorAll("button.tab")) {
    tab.setAttribute("aria-selected", String(tab.dataset.view === view));
  }
  for (const section of document.querySelectorAll("section.view")) {
    section.hidden = section.id !== "view-" + view;
  }
  history.replaceState(null, "", "#" + view);
  refreshNow();
}

for (const tab of document.querySelectorAll("button.tab")) {
  tab.addEventListener("click", () => show(tab.dataset.view));
}

// ---- Requests ----

function journalQuery() {
  const params = new URLSearchParams(ui.filter);
  if (ui.tenant) params.set("api_key", ui.tenant);
  return params;
}

async function pollRequests() {
  if (ui.paused) return;
  const params = journalQuery();
  if (ui.lastSeq === null) {
    params.set("limit", "200");
  } else {
    params.set("after", String(ui.lastSeq));
    params.set("limit", "1000");
  }
  const { json } = await admin("GET", "/__admin/requests?" + params);
  const fresh = json.requests;
  if (fresh.length) {
    ui.lastSeq = fresh[fresh.length - 1].seq;
    ui.requests = fresh.slice().reverse().concat(ui.requests).slice(0, MAX_ROWS);
    renderRequests();
  } else if (ui.lastSeq === null) {
    ui.lastSeq = 0;
    renderRequests();
  }
}

function header(pairs, name) {
  const found = (pairs || []).find(([k]) => k.toLowerCase() === name);
  return found ? found[1] : "";
}

function faultText(fault) {
  if (!fault) return "";
  if (fault.kind) return fault.kind + (fault.ms ? " " + fault.ms + " ms" : "");
  return String(fault.status) + (fault.retry_after ? " (retry " + fault.retry_after + " s)" : "");
}

function renderRequests() {
  const body = $("#requests-table tbody");
  const rows = ui.requests.map((r) => el("tr", { "data-seq": r.seq, "aria-selected": String(r.seq === ui.selectedSeq) },
    el("td", {}, r.seq),
    el("td", { title: r.time }, r.time.slice(11, 23)),
    el("td", {}, r.method),
    el("td", { class: statusClass(r.status) }, r.status === null ? "none" : r.status),
    el("td", {}, r.duration_ms.toFixed(1)),
    el("td", { class: "clip", title: r.path }, r.path),
    el("td", { class: "clip", title: r.raw_query || "" }, r.query.map(([k, v]) => k + "=" + v).join(" ")),
    el("td", { class: "fault" }, faultText(r.fault)),
    el("td", { class: "warning clip", title: header(r.answer && r.answer.headers, "x-mock-warning") },
      header(r.answer && r.answer.headers, "x-mock-warning"))));
  keyed(rows, (row) => openRequest(Number(row.dataset.seq)));
  body.replaceChildren(...rows);
  $("#requests-empty").hidden = ui.requests.length > 0;
}

function pairsList(pairs) {
  return el("dl", { class: "kv" }, (pairs || []).map(([k, v]) => [el("dt", {}, k), el("dd", {}, v)]));
}

async function openRequest(seq) {
  let r;
  try { r = (await admin("GET", "/__admin/requests/" + seq)).json; } catch (err) { say(err.message, true); return; }
  ui.selectedSeq = seq;
  for (const row of document.querySelectorAll("#requests-table tbody tr")) {
    row.setAttribute("aria-selected", String(Number(row.dataset.seq) === seq));
  }
  const panel = $("#request-detail");
  const answer = r.answer;
  panel.replaceChildren(
    el("div", { class: "detail-head" }, el("h2", {}, r.method + " " + r.path), closeButton(panel)),
    el("dl", { class: "kv" },
      el("dt", {}, "seq"), el("dd", {}, r.seq),
      el("dt", {}, "received"), el("dd", {}, r.time),
      el("dt", {}, "status"), el("dd", { class: statusClass(r.status) }, r.status === null ? "none (connection reset)" : r.status),
      el("dt", {}, "took"), el("dd", {}, r.duration_ms.toFixed(2) + " ms" + (r.injected_latency_ms ? " (" + r.injected_latency_ms + " ms injected)" : "")),
      el("dt", {}, "fault"), el("dd", {}, r.fault ? JSON.stringify(r.fault) : "none"),
      el("dt", {}, "raw query"), el("dd", {}, r.raw_query === null ? "none" : r.raw_query),
      r.clipped ? [el("dt", {}, "clipped"), el("dd", {}, "a header or the query was too long to keep whole")] : null),
    el("h3", {}, "Query"), r.query.length ? pairsList(r.query) : el("p", { class: "muted" }, "none"),
    el("h3", {}, "Request headers"), pairsList(r.headers),
    el("h3", {}, "Answer headers"), answer ? pairsList(answer.headers) : el("p", { class: "muted" }, "nothing was answered"),
    el("h3", {}, "Answer body" + (answer && answer.body_clipped ? " (the first 64 KiB of " + answer.bytes + " bytes)" : "")),
    answer ? el("pre", { class: "json", id: "answer-body" }, pretty(answer.body)) : el("p", { class: "muted" }, "none"));
  panel.hidden = false;
}

$("#requests-filter").addEventListener("submit", (event) => {
  event.preventDefault();
  const params = new URLSearchParams();
  for (const [name, value] of new FormData(event.target)) {
    if (String(value).trim()) params.set(name, String(value).trim());
  }
  ui.filter = params.toString();
  restartJournal();
});

function restartJournal() {
  ui.requests = [];
  ui.lastSeq = null;
  ui.selectedSeq = null;
  $("#request-detail").hidden = true;
  renderRequests();
  refreshNow();
}

$("#requests-pause").addEventListener("click", (event) => {
  ui.paused = !ui.paused;
  event.target.setAttribute("aria-pressed", String(ui.paused));
  event.target.textContent = ui.paused ? "Resume" : "Pause";
  say(ui.paused ? "paused" : "live");
});

$("#requests-clear").addEventListener("click", () =>
  act("journal cleared", async () => { await admin("DELETE", "/__admin/requests"); restartJournal(); }));

// ---- Data ----

function callsParams() {
  const params = new URLSearchParams();
  for (const [name, value] of new FormData($("#calls-filter"))) {
    if (String(value).trim()) params.set(name, String(value).trim());
  }
  return params;
}

function renderCurl() {
  const query = callsParams().toString();
  ui.callsQuery = query;
  const url = location.origin + "/v1/calls" + (query ? "?" + query : "");
  $("#calls-curl").textContent = "curl -s -H 'Authorization: Bearer " + (ui.tenant || "$OPENMIC_API_KEY") + "' '" + url + "'";
}

$("#calls-filter").addEventListener("input", renderCurl);
$("#calls-filter").addEventListener("submit", (event) => { event.preventDefault(); renderCurl(); refreshNow(); });
$("#calls-copy").addEventListener("click", async () => {
  try { await navigator.clipboard.writeText($("#calls-curl").textContent); say("copied"); }
  catch (_) { say("select the line to copy it", true); }
});

async function pollData() {
  renderCurl();
  const list = await admin("GET", scoped("/v1/calls") + (ui.callsQuery ? "?" + ui.callsQuery : ""));
  const warning = list.response.headers.get("x-mock-warning");
  const page = list.json.pagination || {};
  $("#calls-summary").textContent = (page.total !== undefined ? page.total + " calls match; showing " + list.json.calls.length + " from offset " + page.offset : "")
    + (warning ? " — warning: " + warning : "");
  const rows = list.json.calls.map((c) => el("tr", { "data-id": c.call_id },
    el("td", {}, c.call_id), el("td", {}, c.call_status), el("td", {}, c.call_type), el("td", {}, c.direction || ""),
    el("td", {}, c.from_number || ""), el("td", {}, c.to_number || ""), el("td", {}, c.agent_id || ""),
    el("td", {}, time(c.start_timestamp)), el("td", {}, c.duration_ms ? Math.round(c.duration_ms / 1000) + " s" : "")));
  keyed(rows, (row) => openCall(row.dataset.id));
  $("#calls-table tbody").replaceChildren(...rows);
  const [bots, numbers] = await Promise.all([admin("GET", scoped("/bots")), admin("GET", scoped("/phone-numbers"))]);
  $("#bots-table tbody").replaceChildren(...bots.json.bots.map((b) => el("tr", {},
    el("td", {}, b.uid), el("td", {}, b.name), el("td", {}, [b.voice_provider, b.voice].filter(Boolean).join(" ")),
    el("td", {}, b.llm_model_name || ""), el("td", {}, b.updated_at || ""))));
  $("#numbers-table tbody").replaceChildren(...numbers.json.phone_numbers.map((n) => el("tr", {},
    el("td", {}, n.phone_number), el("td", {}, n.phone_number_id || ""), el("td", {}, n.inbound_agent_id || ""),
    el("td", {}, n.outbound_agent_id || ""))));
}

async function openCall(id) {
  const panel = $("#call-detail");
  try {
    const { json, text } = await admin("GET", scoped("/v1/call/" + encodeURIComponent(id)));
    const transcript = Array.isArray(json.transcript) ? json.transcript : [];
    panel.replaceChildren(
      el("div", { class: "detail-head" }, el("h2", {}, id), closeButton(panel)),
      el("dl", { class: "kv" },
        el("dt", {}, "status"), el("dd", {}, json.call_status),
        el("dt", {}, "start"), el("dd", {}, time(json.start_timestamp)),
        el("dt", {}, "end"), el("dd", {}, time(json.end_timestamp)),
        el("dt", {}, "from → to"), el("dd", {}, (json.from_number || "") + " → " + (json.to_number || ""))),
      el("h3", {}, "Transcript"),
      transcript.length
        ? el("div", { class: "transcript" }, transcript.map(([who, line]) => el("p", {}, el("b", {}, who), " ", line)))
        : el("p", { class: "muted" }, "none"),
      el("h3", {}, "As Get Call answers it"), el("pre", { class: "json" }, pretty(text)));
    panel.hidden = false;
  } catch (err) {
    say(err.message, true);
  }
}

// ---- Time and calls ----

async function pollTime() {
  const clock = (await admin("GET", "/__admin/clock")).json;
  $("#clock-mode").textContent = clock.mode + " clock";
  $("#clock-now").textContent = clock.now_rfc3339;
  const virtual = clock.mode === "virtual";
  for (const control of document.querySelectorAll("#clock-advance button, #clock-set button")) control.disabled = !virtual;
  $("#clock-note").textContent = virtual ? "" : "A real clock cannot be moved; start the mock with --clock virtual to move it from here.";
  const params = new URLSearchParams({ path: "/v1/create-phone-call", limit: "100" });
  if (ui.tenant) params.set("api_key", ui.tenant);
  const journal = (await admin("GET", "/__admin/requests?" + params)).json.requests;
  const created = [];
  for (const entry of journal.slice().reverse().filter((e) => e.status === 201).slice(0, 50)) {
    if (!ui.createdBySeq.has(entry.seq)) {
      try {
        const full = (await admin("GET", "/__admin/requests/" + entry.seq)).json;
        ui.createdBySeq.set(entry.seq, JSON.parse(full.answer.body));
      } catch (_) { continue; /* gone from the journal since */ }
    }
    created.push(ui.createdBySeq.get(entry.seq));
  }
  const rows = [];
  for (const c of created) {
    let now = null;
    try { now = (await admin("GET", scoped("/v1/call/" + encodeURIComponent(c.call_id)))).json; } catch (_) { /* gone */ }
    const status = now ? now.call_status : "not in this data set";
    const order = ["registered", "ongoing", now && now.call_status === "error" ? "error" : "ended"];
    const reached = order.indexOf(status);
    rows.push(el("tr", { "data-id": c.call_id },
      el("td", {}, c.call_id), el("td", {}, c.to_number || (now && now.to_number) || ""),
      el("td", { class: "call-status" }, status),
      el("td", {}, el("span", { class: "steps" }, order.map((step, i) => el("span", { class: i <= reached ? "done" : "" }, step))))));
  }
  $("#created-table tbody").replaceChildren(...rows);
  const outcomes = (await admin("GET", scoped("/outcomes"))).json;
  $("#outcomes").textContent = outcomes.queued + " queued" + (outcomes.queued ? "\n" + JSON.stringify(outcomes.outcomes, null, 2) : "");
}

function advance(ms) {
  return act("clock advanced", () => admin("POST", "/__admin/clock/advance", { ms: Number(ms) }));
}

$("#clock-advance").addEventListener("submit", (event) => {
  event.preventDefault();
  advance(new FormData(event.target).get("ms"));
});
for (const button of document.querySelectorAll("[data-advance]")) {
  button.addEventListener("click", () => advance(button.dataset.advance));
}
$("#clock-set").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = String(new FormData(event.target).get("now")).trim();
  act("clock set", () => admin("PUT", "/__admin/clock", { now: /^\d+$/.test(value) ? Number(value) : value }));
});
$("#outcomes-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act("outcomes queued", () => admin("POST", scoped("/outcomes"), String(new FormData(event.target).get("body"))));
});
$("#outcomes-clear").addEventListener("click", () => act("outcomes queue emptied", () => admin("DELETE", scoped("/outcomes"))));

// ---- Webhooks ----

async function pollWebhooks() {
  const targets = (await admin("GET", scoped("/webhooks"))).json;
  $("#webhook-targets").textContent = JSON.stringify(targets);
  const { json } = await admin("GET", "/__admin/webhooks/deliveries?limit=1000&after=" + ui.deliveriesAfter);
  if (json.deliveries.length) {
    ui.deliveriesAfter = json.next_after;
    ui.deliveries = json.deliveries.slice().reverse().concat(ui.deliveries).slice(0, MAX_ROWS);
  }
  const rows = ui.deliveries.map((d) => el("tr", { "data-seq": d.seq, "aria-selected": String(d.seq === ui.selectedDelivery) },
    el("td", {}, d.seq), el("td", {}, d.kind), el("td", {}, d.call_id), el("td", {}, d.attempt),
    el("td", {}, d.sent_at_rfc3339), el("td", { class: statusClass(d.status) }, d.status === null ? "none" : d.status),
    el("td", { class: d.ok ? "s2" : "s5" }, d.ok ? "yes" : "no"), el("td", {}, d.duration_ms)));
  keyed(rows, (row) => openDelivery(Number(row.dataset.seq)));
  $("#deliveries-table tbody").replaceChildren(...rows);
  $("#deliveries-empty").hidden = ui.deliveries.length > 0;
}

function openDelivery(seq) {
  const d = ui.deliveries.find((x) => x.seq === seq);
  if (!d) return;
  ui.selectedDelivery = seq;
  const panel = $("#delivery-detail");
  const attempts = ui.deliveries.filter((x) => x.call_id === d.call_id && x.kind === d.kind).slice().reverse();
  panel.replaceChildren(
    el("div", { class: "detail-head" }, el("h2", {}, d.kind + " #" + d.seq), closeButton(panel)),
    el("dl", { class: "kv" },
      el("dt", {}, "url"), el("dd", {}, d.url),
      el("dt", {}, "call"), el("dd", {}, d.call_id),
      el("dt", {}, "sent at"), el("dd", {}, d.sent_at_rfc3339),
      el("dt", {}, "answer"), el("dd", {}, d.status === null ? "none" : d.status),
      el("dt", {}, "took"), el("dd", {}, d.duration_ms + " ms"),
      el("dt", {}, "error"), el("dd", {}, d.error || "none")),
    el("h3", {}, "Attempts of this webhook"),
    el("ol", {}, attempts.map((a) => el("li", {}, "#" + a.seq + " attempt " + a.attempt + ": " + (a.status === null ? "no answer" : a.status) + ", " + a.duration_ms + " ms" + (a.error ? " (" + a.error + ")" : "")))),
    d.kind === "pre-call" ? null : el("p", {}, el("button", { type: "button", id: "resend", onclick: () =>
      act("report sent again", () => admin("POST", scoped("/webhooks/send"), { call_id: d.call_id })) }, "Send the report again")),
    el("h3", {}, "Payload" + (d.body_clipped ? " (cut at 64 KiB)" : "")), el("pre", { class: "json", id: "delivery-body" }, pretty(d.body)),
    el("h3", {}, "Reply"), el("pre", { class: "json" }, d.reply === null ? "none" : pretty(d.reply)));
  panel.hidden = false;
}

// ---- Controls ----

function faultFromForm() {
  const form = new FormData($("#fault-form"));
  const get = (name) => String(form.get(name) || "").trim();
  const fault = {};
  const kind = get("kind");
  if (kind === "status") {
    fault.status = Number(get("status"));
    if (get("retry_after")) fault.retry_after = Number(get("retry_after"));
  } else {
    fault.kind = kind;
    if (kind === "timeout" && get("ms")) fault.ms = Number(get("ms"));
  }
  if (get("path")) fault.path = get("path");
  if (get("method")) fault.method = get("method");
  if (get("query")) fault.query = Object.fromEntries(new URLSearchParams(get("query")));
  if (get("after")) fault.after = Number(get("after"));
  if (get("times")) fault.times = /^every$/i.test(get("times")) ? null : Number(get("times"));
  return fault;
}

function renderFaultJson(event) {
  if (event && event.target && event.target.name === "json") return;
  $("#fault-json").value = JSON.stringify(faultFromForm());
}

$("#fault-form").addEventListener("input", renderFaultJson);
$("#fault-form").addEventListener("change", renderFaultJson);
$("#fault-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act("fault scripted", () => admin("POST", scoped("/faults/next"), $("#fault-json").value));
});
$("#faults-clear").addEventListener("click", () => act("faults cleared", () => admin("DELETE", scoped("/faults"))));
$("#reset").addEventListener("click", () => {
  if (window.confirm("Reset the " + (ui.tenant ? "tenant " + ui.tenant + "'s" : "default") + " data set?")) {
    act("data reset", async () => { await admin("POST", scoped("/reset")); restartJournal(); });
  }
});

async function pollControls() {
  $("#faults").textContent = pretty((await admin("GET", scoped("/faults"))).text);
}

// ---- the tenant selector ----

async function loadTenants() {
  const { json } = await admin("GET", "/__admin/tenants");
  const select = $("#tenant");
  const keys = json.tenants.map((t) => t.api_key);
  const current = [...select.options].slice(1).map((o) => o.value);
  if (keys.join("\n") !== current.join("\n")) {
    select.replaceChildren(select.options[0], ...json.tenants.map((t) => el("option", { value: t.api_key }, t.api_key + " (" + t.calls + " calls)")));
    select.value = keys.includes(ui.tenant) ? ui.tenant : "";
  }
}

$("#tenant").addEventListener("change", (event) => {
  ui.tenant = event.target.value;
  restartJournal();
});

// ---- the refresh loop: the shown view, every POLL_MS, one refresh at a time ----

const POLLERS = { requests: pollRequests, data: pollData, time: pollTime, webhooks: pollWebhooks, controls: pollControls };
let timer = null;
let tick = 0;

async function refresh() {
  clearTimeout(timer);
  if (ui.busy) { timer = setTimeout(refresh, 50); return; }
  ui.busy = true;
  try {
    if (!ui.needKey && !document.hidden) {
      if (tick++ % 10 === 0) await loadTenants();
      // The data and time views do more work a refresh: every fourth tick is enough for them.
      if (ui.view === "requests" || ui.view === "webhooks" || tick % 4 === 1) await POLLERS[ui.view]();
      if (ui.pollError || !$("#status").textContent) say(ui.paused ? "paused" : "live");
      ui.pollError = false;
    }
  } catch (err) {
    ui.pollError = true;
    if (err instanceof AdminError) say(err.message, true);
    else say("the mock does not answer (" + err.message + ")", true);
  } finally {
    ui.busy = false;
    timer = setTimeout(refresh, POLL_MS);
  }
}

function refreshNow() {
  tick = Math.ceil(tick / 4) * 4;
  refresh();
}

document.addEventListener("keydown", (event) => {
  if (event.key === "Escape") {
    for (const panel of document.querySelectorAll(".detail")) panel.hidden = true;
  }
});

renderFaultJson();
show(POLLERS[location.hash.slice(1)] ? location.hash.slice(1) : "requests");
