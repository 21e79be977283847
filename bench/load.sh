#!/usr/bin/env bash
# Load test of openmic-mock against a static-bytes baseline, in one run on one machine.
#
# Builds release binaries, generates COUNT calls, starts the mock on them and a static-bytes axum server that
# answers every request with the mock's own answer to QUERY (so both send the same page), then drives each with
# wrk, alternating, ROUNDS times, and prints requests/s and p99 latency (medians over the rounds) with the ratio
# mock/baseline. Also: time to first 200 (embedded data set, and the COUNT-call file), and peak RSS of the mock
# (on the file, and with --generate GEN_COUNT calls against their serialized size).
#
# With live calls (LIVE=1): starts the mock on the COUNT-call file (the embedded data set with STATIC=0) with its
# post-call webhook pointed at a local receiver that answers 200, queues LIVE_CALLS outcomes (ring 1-5 s, talk
# 30 s to LIVE_TALK_MAX_S spread over the calls, one in ten failing after 1-15 s) and creates LIVE_CALLS calls,
# so that during the runs calls keep starting, growing their transcripts, ending and being reported; then, for
# each of LIVE_QUERIES, drives the mock with wrk and a static-bytes server answering the page the mock answered
# at the end of that run, alternating, ROUNDS times, and prints the medians, the ratio as above and how many
# reports the receiver got.
# Admin churn (CHURN=1): the mock on a CHURN_COUNT-call file; rounds alternate wrk alone (quiet) with wrk while a
# client replaces the whole data set (PUT /__admin/calls, two CHURN_COUNT-call files in turn) and pushes a
# scripted fault for a path wrk does not ask for, every CHURN_EVERY_S seconds; prints the medians of
# requests/s, p99 and the slowest request (wrk's Max), the ratio churn/quiet, and how many replaces ran and
# how long each took.
# Create throughput (CREATE=1): wrk POSTs create-phone-call bodies to a fresh mock for CREATE_DURATION (at most
# CREATE_MAX requests); each create adds a call, so the data set grows during the run: the script says how much.
#
# The account (ACCOUNT=1): the bot and phone-number lists of the embedded data set (ACCOUNT_QUERIES), each against
# a static-bytes server answering the same page, alternating, ROUNDS times, medians and the ratio as above.
#
# The web page open (UI=1): on the embedded data set, wrk on QUERY with no page open, then with the web page
# (/__admin/ui, its requests view polling the journal) open in a headless Chromium, alternating, ROUNDS times;
# medians and the ratio open/closed. Needs Chromium and `npm ci --prefix mock-server/tests/browser`; skipped,
# saying so, without them.
#
# Before against after (BEFORE=path/to/another/openmic-mock): the static load also runs that binary on the same
# file in every round, between the mock and the baseline, and prints its ratio too, so a change is measured
# against the code it replaces in one run.
#
# Another build as the mock in every section (MOCK=path/to/openmic-mock): e.g. the live or churn figures of the code
# a change replaces, run by run.
#
# Loopback only; every wrk run is bounded by DURATION (CREATE_DURATION); all servers are stopped on exit.
# Settings (environment): COUNT=100000 ROUNDS=3 DURATION=10s CONNECTIONS=32 THREADS=2 GEN_COUNT=1000000
# LIVE_CALLS=1000 LIVE_TALK_MAX_S (default: long enough that calls still end during the last run, at least 120)
# CREATE_DURATION=$DURATION CREATE_MAX=50000 CHURN_COUNT=10000 CHURN_EVERY_S=0.5.
# Sections: STATIC=0 skips generating COUNT calls, the time to first 200 and the load on them; GEN_COUNT=0 the
# million-call memory check; LIVE=0 the load with live calls; CHURN=0 the load under admin churn; CREATE=0 the
# create throughput; ACCOUNT=0 the bot and phone-number lists; UI=0 the load with the web page open.
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-100000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
GEN_COUNT=${GEN_COUNT:-1000000}
STATIC=${STATIC:-1}
LIVE=${LIVE:-1}
LIVE_CALLS=${LIVE_CALLS:-1000}
CREATE=${CREATE:-1}
ACCOUNT=${ACCOUNT:-1}
UI=${UI:-1}
CHURN=${CHURN:-1}
CHURN_COUNT=${CHURN_COUNT:-10000}
CHURN_EVERY_S=${CHURN_EVERY_S:-0.5}
ACCOUNT_QUERIES=('/v1/bots?limit=100' '/v1/bots?name=clinic&created_after=2025-01-01' '/v1/phone-numbers?limit=100' '/v1/phone-numbers?phone_number=%2B1')
CREATE_DURATION=${CREATE_DURATION:-$DURATION}
CREATE_MAX=${CREATE_MAX:-50000}
KEY=bench-key
QUERY='/v1/calls?call_status=ended&call_type=phonecall&from_date=2025-12-01T00:00:00Z&limit=100'
# The live calls are the newest: the first page without filters is all created calls, and the filtered one fills
# with them as they end.
LIVE_QUERIES=('/v1/calls?limit=100' "$QUERY")
# The account number created calls come from (any outbound from_number of the data set would do).
PHONE=+15550001111

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
fi

echo "== building release binaries" >&2
cargo build --release -q -p openmic-mock --bin openmic-mock --example static_baseline
MOCK=${MOCK:-${CARGO_TARGET_DIR:-target}/release/openmic-mock}
BASELINE=${CARGO_TARGET_DIR:-target}/release/examples/static_baseline

work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]:-}"; do [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }

# start NAME CMD...: starts a server that prints its URL on its first stdout line; sets URL and PID.
start() {
  local name=$1; shift
  "$@" >"$work/$name.out" 2>"$work/$name.err" &
  PID=$!
  pids+=("$PID")
  for _ in $(seq 1 3000); do
    URL=$(grep -o 'http://[0-9.:]*' "$work/$name.out" 2>/dev/null | head -n 1 || true)
    [ -n "$URL" ] && return 0
    kill -0 "$PID" 2>/dev/null || { cat "$work/$name.err" >&2; echo "$name exited" >&2; exit 1; }
    sleep 0.01
  done
  echo "$name did not start" >&2; exit 1
}

# first_200 CMD...: milliseconds from spawn to the first 200 on QUERY (the port is fixed so polling can start
# before the startup line is printed).
first_200() {
  local port=$1; shift
  local t0; t0=$(now_ms)
  "$@" --port "$port" --api-key "$KEY" >/dev/null 2>&1 &
  local pid=$!
  pids+=("$pid")
  until curl -sf --max-time 10 -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:$port$QUERY"; do
    kill -0 "$pid" 2>/dev/null || { echo "server exited" >&2; exit 1; }
    sleep 0.002
  done
  local t1; t1=$(now_ms)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo $((t1 - t0))
}

# stop PID: stops a server this script started, and forgets it.
stop() {
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
  local kept=() pid
  for pid in "${pids[@]}"; do [ "$pid" = "$1" ] || kept+=("$pid"); done
  pids=("${kept[@]}")
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# wrk_stats: reads wrk's --latency output on stdin; prints "requests_per_second p99_ms requests max_ms".
wrk_stats() {
  local out rps p99 requests non2xx
  out=$(cat)
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  requests=$(awk '/requests in/ {print $1}' <<<"$out")
  max=$(awk '$1=="Latency" {v=$4; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  [ -z "$non2xx" ] || { echo "wrk saw non-2xx answers: $non2xx" >&2; exit 1; }
  echo "$rps $p99 $requests $max"
}

# wrk_run URL [PATH]: GETs PATH (default QUERY) for DURATION; prints "requests_per_second p99_ms requests max_ms".
wrk_run() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $KEY" "$1${2:-$QUERY}" | wrk_stats
}

# seconds DURATION: wrk's duration (10s, 2m, 1h, or bare seconds) in seconds.
seconds() {
  case $1 in
    *s) echo "${1%s}" ;; *m) echo $(( ${1%m} * 60 )) ;; *h) echo $(( ${1%h} * 3600 )) ;; *) echo "$1" ;;
  esac
}

# total URL PATH: pagination.total of a List Calls answer.
total() {
  curl -sf --max-time 10 -H "Authorization: Bearer $KEY" "$1$2" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["pagination"]["total"])'
}

# live_states URL: how many of the created calls (those from PHONE) are in each status. Each status is counted by
# its own request, so a call that moves on between two of them can be counted twice.
live_states() {
  local status out=""
  for status in registered ongoing ended error; do
    out+="$status $(total "$1" "/v1/calls?from_number=%2B${PHONE#+}&call_status=$status&limit=1"), "
  done
  echo "${out%, }"
}

# report NAME MOCK_FILE BASE_FILE: medians of the rounds and the ratio mock/baseline.
report() {
  local mock_rps mock_p99 base_rps base_p99
  mock_rps=$(cut -d' ' -f1 "$2" | median); mock_p99=$(cut -d' ' -f2 "$2" | median)
  base_rps=$(cut -d' ' -f1 "$3" | median); base_p99=$(cut -d' ' -f2 "$3" | median)
  printf '%-10s %12s %10s\n' server "requests/s" "p99 ms"
  printf '%-10s %12.0f %10.2f\n' mock "$mock_rps" "$mock_p99" baseline "$base_rps" "$base_p99"
  awk -v n="$1" -v a="$mock_rps" -v b="$base_rps" -v c="$mock_p99" -v d="$base_p99" \
    'BEGIN {printf "ratio mock/baseline%s: %.2fx requests/s, %.2fx p99\n", n, a/b, c/d}'
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
if [ "$STATIC" != 0 ]; then
  echo "== generating $COUNT calls"
  t0=$(now_ms)
  "$MOCK" generate --count "$COUNT" --seed 7 --out "$work/calls.json" 2>/dev/null
  echo "generated in $(( $(now_ms) - t0 )) ms, $(du -h "$work/calls.json" | cut -f1) on disk"

  echo "== time to first 200 (median of 3)"
  embedded=$(for _ in 1 2 3; do first_200 "$(free_port)" "$MOCK"; done | median)
  file=$(for _ in 1 2 3; do first_200 "$(free_port)" "$MOCK" --fixtures "$work/calls.json"; done | median)
  echo "embedded data set: ${embedded} ms"
  echo "$COUNT-call file: ${file} ms"

  echo "== load: $QUERY"
  start mock "$MOCK" --port 0 --api-key "$KEY" --fixtures "$work/calls.json" --log-level warn
  MOCK_URL=$URL; MOCK_PID=$PID
  curl -sf --max-time 10 -H "Authorization: Bearer $KEY" "$MOCK_URL$QUERY" >"$work/page.json"
  echo "page: $(wc -c <"$work/page.json") bytes, $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["calls"]), "calls of", d["pagination"]["total"], "matches")' "$work/page.json")"
  start baseline "$BASELINE" "$work/page.json" 0
  BASE_URL=$URL; BASE_PID=$PID
  if [ -n "${BEFORE:-}" ]; then
    start before "$BEFORE" --port 0 --api-key "$KEY" --fixtures "$work/calls.json" --log-level warn
    BEFORE_URL=$URL; BEFORE_PID=$PID
    curl -sf --max-time 10 -H "Authorization: Bearer $KEY" "$BEFORE_URL$QUERY" | cmp -s - "$work/page.json" ||
      { echo "BEFORE answers another page than the mock" >&2; exit 1; }
  fi
  : >"$work/mock.txt"; : >"$work/base.txt"; : >"$work/before.txt"
  shown() { tail -n1 "$1" | awk '{printf "%.0f req/s, p99 %.2f ms", $1, $2}'; }
  for round in $(seq 1 "$ROUNDS"); do
    wrk_run "$MOCK_URL" >>"$work/mock.txt"
    [ -z "${BEFORE:-}" ] || wrk_run "$BEFORE_URL" >>"$work/before.txt"
    wrk_run "$BASE_URL" >>"$work/base.txt"
    echo "round $round: mock $(shown "$work/mock.txt")${BEFORE:+; before $(shown "$work/before.txt")}; baseline $(shown "$work/base.txt")"
  done
  mock_rss=$(awk '/VmHWM/ {print $2}' "/proc/$MOCK_PID/status")
  report "" "$work/mock.txt" "$work/base.txt"
  if [ -n "${BEFORE:-}" ]; then
    echo "BEFORE ($BEFORE):"
    report " (before)" "$work/before.txt" "$work/base.txt"
    stop "$BEFORE_PID"
  fi
  echo "mock peak RSS serving $COUNT calls: $((mock_rss / 1024)) MiB (file $(( $(stat -c %s "$work/calls.json") / 1048576 )) MiB)"
  stop "$MOCK_PID"; stop "$BASE_PID"
fi

if [ "$ACCOUNT" != 0 ]; then
  start account "$MOCK" --port 0 --api-key "$KEY" --log-level warn
  ACCOUNT_URL=$URL; ACCOUNT_PID=$PID
  for query in "${ACCOUNT_QUERIES[@]}"; do
    echo "== load: $query (embedded data set)"
    curl -sf --max-time 10 -H "Authorization: Bearer $KEY" "$ACCOUNT_URL$query" >"$work/account.json"
    echo "page: $(wc -c <"$work/account.json") bytes"
    start account_base "$BASELINE" "$work/account.json" 0
    ACCOUNT_BASE_URL=$URL; ACCOUNT_BASE_PID=$PID
    : >"$work/account_mock.txt"; : >"$work/account_base.txt"
    for round in $(seq 1 "$ROUNDS"); do
      wrk_run "$ACCOUNT_URL" "$query" >>"$work/account_mock.txt"
      wrk_run "$ACCOUNT_BASE_URL" "$query" >>"$work/account_base.txt"
    done
    report " ($query)" "$work/account_mock.txt" "$work/account_base.txt"
    stop "$ACCOUNT_BASE_PID"
  done
  stop "$ACCOUNT_PID"
fi

if [ "$LIVE" != 0 ]; then
  # Each round runs every live query against the mock and the baseline: spread the talk times so that calls
  # are still ending during the last run.
  phase=$(( ${#LIVE_QUERIES[@]} * 2 * ROUNDS * $(seconds "$DURATION") ))
  LIVE_TALK_MAX_S=${LIVE_TALK_MAX_S:-$(( phase + 15 > 120 ? phase + 15 : 120 ))}
  if [ "$STATIC" != 0 ]; then live_data=(--fixtures "$work/calls.json"); live_what="the $COUNT-call file"
  else live_data=(); live_what="the embedded data set"; fi
  echo "== load with $LIVE_CALLS live calls (ring 1-5 s, talk 30-$LIVE_TALK_MAX_S s, 1 in 10 failing) on $live_what, post-call reports to a local receiver"
  cat >"$work/receiver.py" <<'PY'
import http.server, threading
count, lock = 0, threading.Lock()
class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        global count
        self.rfile.read(int(self.headers.get("content-length", "0")))
        with lock:
            count += 1
        self.send_response(200); self.send_header("content-length", "2"); self.end_headers(); self.wfile.write(b"ok")
    def do_GET(self):
        body = str(count).encode()
        self.send_response(200); self.send_header("content-length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
print(f"http://127.0.0.1:{server.server_address[1]}", flush=True)
server.serve_forever()
PY
  start receiver python3 "$work/receiver.py"
  RECEIVER_URL=$URL; RECEIVER_PID=$PID
  start live "$MOCK" --port 0 --api-key "$KEY" --phone-number "$PHONE" --log-level warn "${live_data[@]}" \
    --post-call-webhook "$RECEIVER_URL/post-call"
  LIVE_URL=$URL; LIVE_PID=$PID
  python3 - "$LIVE_URL" "$KEY" "$PHONE" "$LIVE_CALLS" "$LIVE_TALK_MAX_S" <<'PY'
import http.client, json, sys, time, urllib.parse

url, key, phone, count, talk_max_s = sys.argv[1:]
count, talk_max = int(count), int(talk_max_s) * 1000
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)


def send(path, body, headers):
    conn.request("POST", path, json.dumps(body), {"Content-Type": "application/json", **headers})
    response = conn.getresponse()
    text = response.read()
    return response.status, text


# Spread evenly over the calls, in an order that mixes short and long ones (7919 and 104729 are primes).
outcomes = []
for i in range(count):
    ring = 1000 + i * 7919 % 4001
    if i % 10 == 9:
        outcomes.append({"status": "error", "ring_ms": ring, "talk_ms": 1000 + i * 104729 % 14001})
    else:
        outcomes.append({"status": "ended", "ring_ms": ring, "talk_ms": 30000 + i * 104729 % (talk_max - 30000 + 1)})
status, text = send("/__admin/outcomes", outcomes, {})
if status != 200:
    sys.exit(f"queueing outcomes: {status} {text[:300]!r}")
t0 = time.monotonic()
for i in range(count):
    status, text = send(
        "/v1/create-phone-call",
        {"from_number": phone, "to_number": "+1555%07d" % (2000000 + i)},
        {"Authorization": "Bearer " + key},
    )
    if status != 201:
        sys.exit(f"create {i}: {status} {text[:300]!r}")
elapsed = time.monotonic() - t0
print(f"created {count} calls in {elapsed * 1000:.0f} ms over one keep-alive connection ({count / elapsed:.0f}/s)")
PY
  for i in "${!LIVE_QUERIES[@]}"; do : >"$work/live-mock-$i.txt"; : >"$work/live-base-$i.txt"; : >"$work/live-bytes-$i.txt"; done
  for round in $(seq 1 "$ROUNDS"); do
    echo "round $round: created calls $(live_states "$LIVE_URL")"
    for i in "${!LIVE_QUERIES[@]}"; do
      q=${LIVE_QUERIES[$i]}
      wrk_run "$LIVE_URL" "$q" >>"$work/live-mock-$i.txt"
      # The page as of the end of the mock's run (the largest of the round: transcripts only grow).
      curl -sf --max-time 10 -H "Authorization: Bearer $KEY" "$LIVE_URL$q" >"$work/live-page.json"
      wc -c <"$work/live-page.json" >>"$work/live-bytes-$i.txt"
      start live-baseline "$BASELINE" "$work/live-page.json" 0
      wrk_run "$URL" "$q" >>"$work/live-base-$i.txt"
      stop "$PID"
      echo "  $q: mock $(tail -n1 "$work/live-mock-$i.txt" | awk '{printf "%.0f req/s, p99 %.2f ms", $1, $2}'); baseline $(tail -n1 "$work/live-base-$i.txt" | awk '{printf "%.0f req/s, p99 %.2f ms", $1, $2}'); page $(tail -n1 "$work/live-bytes-$i.txt") bytes"
    done
  done
  echo "after the last round: created calls $(live_states "$LIVE_URL"); post-call reports received: $(curl -sf --max-time 10 "$RECEIVER_URL/count")"
  for i in "${!LIVE_QUERIES[@]}"; do
    echo "-- ${LIVE_QUERIES[$i]} (page: median $(median <"$work/live-bytes-$i.txt") bytes)"
    report " (live)" "$work/live-mock-$i.txt" "$work/live-base-$i.txt"
  done
  stop "$LIVE_PID"; stop "$RECEIVER_PID"
fi

if [ "$CHURN" != 0 ]; then
  echo "== load under admin churn: a full $CHURN_COUNT-call replace every $CHURN_EVERY_S s, plus a fault push"
  "$MOCK" generate --count "$CHURN_COUNT" --seed 7 --out "$work/churn-a.json" 2>/dev/null
  "$MOCK" generate --count "$CHURN_COUNT" --seed 8 --out "$work/churn-b.json" 2>/dev/null
  start churn "$MOCK" --port 0 --api-key "$KEY" --fixtures "$work/churn-a.json" --log-level warn
  CHURN_URL=$URL; CHURN_PID=$PID
  : >"$work/quiet.txt"; : >"$work/churned.txt"
  for round in $(seq 1 "$ROUNDS"); do
    wrk_run "$CHURN_URL" >>"$work/quiet.txt"
    rm -f "$work/churn.stop"
    python3 - "$CHURN_URL" "$CHURN_EVERY_S" "$work/churn.stop" "$work/churn-a.json" "$work/churn-b.json" \
      >"$work/churner.txt" <<'PY' &
import http.client, json, os, statistics, sys, time, urllib.parse
url, every, stop, *files = sys.argv[1:]
every = float(every)
bodies = [open(f, "rb").read() for f in files]
u = urllib.parse.urlparse(url)
conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
fault = json.dumps({"status": 503, "path": "/v1/bots"}).encode()
took, i = [], 0
while not os.path.exists(stop):
    t0 = time.monotonic()
    conn.request("PUT", "/__admin/calls", bodies[i % 2], {"Content-Type": "application/json"})
    r = conn.getresponse(); r.read()
    if r.status != 200:
        sys.exit(f"replace: {r.status}")
    took.append(time.monotonic() - t0)
    conn.request("POST", "/__admin/faults/next", fault, {"Content-Type": "application/json"})
    r = conn.getresponse(); r.read()
    if r.status != 200:
        sys.exit(f"fault push: {r.status}")
    i += 1
    time.sleep(max(0.0, every - (time.monotonic() - t0)))
conn.request("DELETE", "/__admin/faults"); conn.getresponse().read()
print(f"{i} replaces, each {statistics.median(took) * 1000:.0f} ms (median), {max(took) * 1000:.0f} ms at most")
PY
    CHURNER_PID=$!; pids+=("$CHURNER_PID")
    wrk_run "$CHURN_URL" >>"$work/churned.txt"
    touch "$work/churn.stop"; wait "$CHURNER_PID" || { echo "the churner failed" >&2; exit 1; }
    kept=(); for pid in "${pids[@]}"; do [ "$pid" = "$CHURNER_PID" ] || kept+=("$pid"); done; pids=("${kept[@]}")
    echo "round $round: quiet $(tail -n1 "$work/quiet.txt" | awk '{printf "%.0f req/s, p99 %.2f ms, max %.2f ms", $1, $2, $4}');" \
      "churn $(tail -n1 "$work/churned.txt" | awk '{printf "%.0f req/s, p99 %.2f ms, max %.2f ms", $1, $2, $4}') ($(cat "$work/churner.txt"))"
  done
  q_rps=$(cut -d' ' -f1 "$work/quiet.txt" | median); c_rps=$(cut -d' ' -f1 "$work/churned.txt" | median)
  q_p99=$(cut -d' ' -f2 "$work/quiet.txt" | median); c_p99=$(cut -d' ' -f2 "$work/churned.txt" | median)
  q_max=$(cut -d' ' -f4 "$work/quiet.txt" | median); c_max=$(cut -d' ' -f4 "$work/churned.txt" | median)
  awk -v a="$c_rps" -v b="$q_rps" -v c="$c_p99" -v d="$q_p99" -v e="$c_max" -v f="$q_max" 'BEGIN {
    printf "quiet %.0f req/s (p99 %.2f ms, max %.2f ms), churn %.0f req/s (p99 %.2f ms, max %.2f ms)\n", b, d, f, a, c, e
    printf "ratio churn/quiet: %.2fx requests/s, %.2fx p99\n", a/b, c/d }'
  stop "$CHURN_PID"
fi

if [ "$CREATE" != 0 ]; then
  echo "== create-phone-call throughput: $CREATE_DURATION, at most $CREATE_MAX requests, on the embedded data set"
  start create "$MOCK" --port 0 --api-key "$KEY" --phone-number "$PHONE" --log-level warn
  CREATE_URL=$URL; CREATE_PID=$PID
  before=$(total "$CREATE_URL" '/v1/calls?limit=1')
  cat >"$work/create.lua" <<LUA
-- POST /v1/create-phone-call with a JSON body; each thread stops after its share of CREATE_MAX (the argument).
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $KEY"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"from_number":"$PHONE","to_number":"+15557654321"}'
local max, answered = math.huge, 0
function init(args) max = tonumber(args[1]) or max end
function response(status, headers, body)
  answered = answered + 1
  if answered >= max then wrk.thread:stop() end
end
LUA
  stats=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$CREATE_DURATION" --latency -s "$work/create.lua" \
    "$CREATE_URL/v1/create-phone-call" -- $(( (CREATE_MAX + THREADS - 1) / THREADS )) | wrk_stats)
  read -r c_rps c_p99 c_requests <<<"$stats"
  after=$(total "$CREATE_URL" '/v1/calls?limit=1')
  printf '%-10s %12s %10s %10s\n' server "creates/s" "p99 ms" answered
  printf '%-10s %12.0f %10.2f %10d\n' mock "$c_rps" "$c_p99" "$c_requests"
  echo "calls in the data set: $before before, $after after ($(( after - before )) created; each create copies the live tier's pointers, so later creates cost a little more until finished calls move to the base)"
  stop "$CREATE_PID"
fi

if [ "$GEN_COUNT" -gt 0 ]; then
  echo "== memory with $GEN_COUNT generated calls"
  bytes=$("$MOCK" generate --count "$GEN_COUNT" --seed 7 --format jsonl 2>/dev/null | wc -c)
  port=$(free_port)
  "$MOCK" --port "$port" --api-key "$KEY" --generate "$GEN_COUNT" --seed 7 >/dev/null 2>&1 &
  gen_pid=$!; pids+=("$gen_pid")
  until curl -sf --max-time 10 -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:$port$QUERY"; do
    kill -0 "$gen_pid" 2>/dev/null || { echo "server exited" >&2; exit 1; }
    sleep 0.05
  done
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$gen_pid/status")
  stop "$gen_pid"
  awk -v r="$rss" -v b="$bytes" 'BEGIN {printf "peak RSS %.0f MiB for %.0f MiB of serialized JSON: %.2fx\n", r/1024, b/1048576, r*1024/b}'
fi

if [ "$UI" != 0 ]; then
  ui_dir=mock-server/tests/browser
  if ! command -v node >/dev/null || [ ! -d "$ui_dir/node_modules/playwright-core" ] ||
    [ ! -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    echo "== the web page open: skipped (needs Node.js, Chromium and npm ci --prefix $ui_dir)"
  else
    echo "== load with the web page open and polling: $QUERY (embedded data set)"
    start ui "$MOCK" --port 0 --api-key "$KEY" --log-level warn
    UI_URL=$URL; UI_PID=$PID
    : >"$work/closed.txt"; : >"$work/open.txt"
    for round in $(seq 1 "$ROUNDS"); do
      wrk_run "$UI_URL" >>"$work/closed.txt"
      node "$ui_dir/open-page.mjs" "$UI_URL/__admin/ui" >"$work/page.txt" 2>&1 &
      PAGE_PID=$!; pids+=("$PAGE_PID")
      for _ in $(seq 1 600); do
        grep -q '^open' "$work/page.txt" && break
        kill -0 "$PAGE_PID" 2>/dev/null || { cat "$work/page.txt" >&2; echo "the page did not open" >&2; exit 1; }
        sleep 0.05
      done
      wrk_run "$UI_URL" >>"$work/open.txt"
      stop "$PAGE_PID"
      echo "round $round: closed $(tail -n1 "$work/closed.txt" | awk '{printf "%.0f req/s, p99 %.2f ms", $1, $2}');" \
        "open $(tail -n1 "$work/open.txt" | awk '{printf "%.0f req/s, p99 %.2f ms", $1, $2}') ($(tail -n1 "$work/page.txt"))"
    done
    closed=$(cut -d' ' -f1 "$work/closed.txt" | median); opened=$(cut -d' ' -f1 "$work/open.txt" | median)
    closed_p99=$(cut -d' ' -f2 "$work/closed.txt" | median); open_p99=$(cut -d' ' -f2 "$work/open.txt" | median)
    awk -v a="$opened" -v b="$closed" -v c="$open_p99" -v d="$closed_p99" 'BEGIN {
      printf "page closed %.0f req/s (p99 %.2f ms), open %.0f req/s (p99 %.2f ms)\n", b, d, a, c
      printf "ratio open/closed: %.2fx requests/s, %.2fx p99\n", a/b, c/d }'
    stop "$UI_PID"
  fi
fi
