#!/usr/bin/env bash
# Load test of openmic-mock against a static-bytes baseline, in one run on one machine.
#
# Builds release binaries, generates COUNT calls, starts the mock on them and a static-bytes axum server that
# answers every request with the mock's own answer to QUERY (so both send the same page), then drives each with
# wrk, alternating, ROUNDS times, and prints requests/s and p99 latency (medians over the rounds) with the ratio
# mock/baseline. Also: time to first 200 (embedded data set, and the COUNT-call file), and peak RSS of the mock
# (on the file, and with --generate GEN_COUNT calls against their serialized size).
#
# Loopback only; every wrk run is bounded by DURATION; all servers are stopped on exit.
# Settings (environment): COUNT=100000 ROUNDS=3 DURATION=10s CONNECTIONS=32 THREADS=2 GEN_COUNT=1000000
# (GEN_COUNT=0 skips the million-call memory check).
set -euo pipefail
cd "$(dirname "$0")/.."

COUNT=${COUNT:-100000}
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
THREADS=${THREADS:-2}
GEN_COUNT=${GEN_COUNT:-1000000}
KEY=bench-key
QUERY='/v1/calls?call_status=ended&call_type=phonecall&from_date=2025-12-01T00:00:00Z&limit=100'

if ! command -v wrk >/dev/null; then
  echo "installing wrk (Debian package)" >&2
  if [ "$(id -u)" -eq 0 ]; then apt-get update -qq && apt-get install -y -qq wrk >/dev/null
  else sudo apt-get update -qq && sudo apt-get install -y -qq wrk >/dev/null; fi
fi

echo "== building release binaries" >&2
cargo build --release -q -p openmic-mock --bin openmic-mock --example static_baseline
MOCK=target/release/openmic-mock
BASELINE=target/release/examples/static_baseline

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
  until curl -sf -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:$port$QUERY"; do
    kill -0 "$pid" 2>/dev/null || { echo "server exited" >&2; exit 1; }
    sleep 0.002
  done
  local t1; t1=$(now_ms)
  kill "$pid"; wait "$pid" 2>/dev/null || true
  echo $((t1 - t0))
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# wrk_run URL AUTH: prints "requests_per_second p99_ms".
wrk_run() {
  local out
  out=$(wrk -t"$THREADS" -c"$CONNECTIONS" -d"$DURATION" --latency -H "Authorization: Bearer $KEY" "$1$QUERY")
  local rps p99
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  p99=$(awk '$1=="99%" {v=$2; if (v ~ /us$/) {sub(/us/,"",v); v/=1000} else if (v ~ /ms$/) {sub(/ms/,"",v)} else if (v ~ /s$/) {sub(/s/,"",v); v*=1000}; print v}' <<<"$out")
  local non2xx
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$out")
  [ -z "$non2xx" ] || { echo "wrk saw non-2xx answers: $non2xx" >&2; exit 1; }
  echo "$rps $p99"
}

echo "== machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(uname -sr)"
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
curl -sf -H "Authorization: Bearer $KEY" "$MOCK_URL$QUERY" >"$work/page.json"
echo "page: $(wc -c <"$work/page.json") bytes, $(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(len(d["calls"]), "calls of", d["pagination"]["total"], "matches")' "$work/page.json")"
start baseline "$BASELINE" "$work/page.json" 0
BASE_URL=$URL
: >"$work/mock.txt"; : >"$work/base.txt"
for round in $(seq 1 "$ROUNDS"); do
  wrk_run "$MOCK_URL" >>"$work/mock.txt"
  wrk_run "$BASE_URL" >>"$work/base.txt"
  echo "round $round: mock $(tail -n1 "$work/mock.txt" | awk '{printf "%.0f req/s, p99 %.2f ms", $1, $2}'); baseline $(tail -n1 "$work/base.txt" | awk '{printf "%.0f req/s, p99 %.2f ms", $1, $2}')"
done
mock_rps=$(cut -d' ' -f1 "$work/mock.txt" | median); mock_p99=$(cut -d' ' -f2 "$work/mock.txt" | median)
base_rps=$(cut -d' ' -f1 "$work/base.txt" | median); base_p99=$(cut -d' ' -f2 "$work/base.txt" | median)
mock_rss=$(awk '/VmHWM/ {print $2}' "/proc/$MOCK_PID/status")
printf '%-10s %12s %10s\n' server "requests/s" "p99 ms"
printf '%-10s %12.0f %10.2f\n' mock "$mock_rps" "$mock_p99" baseline "$base_rps" "$base_p99"
awk -v a="$mock_rps" -v b="$base_rps" -v c="$mock_p99" -v d="$base_p99" \
  'BEGIN {printf "ratio mock/baseline: %.2fx requests/s, %.2fx p99\n", a/b, c/d}'
echo "mock peak RSS serving $COUNT calls: $((mock_rss / 1024)) MiB (file $(( $(stat -c %s "$work/calls.json") / 1048576 )) MiB)"

if [ "$GEN_COUNT" -gt 0 ]; then
  echo "== memory with $GEN_COUNT generated calls"
  bytes=$("$MOCK" generate --count "$GEN_COUNT" --seed 7 --format jsonl 2>/dev/null | wc -c)
  port=$(free_port)
  "$MOCK" --port "$port" --api-key "$KEY" --generate "$GEN_COUNT" --seed 7 >/dev/null 2>&1 &
  gen_pid=$!; pids+=("$gen_pid")
  until curl -sf -o /dev/null -H "Authorization: Bearer $KEY" "http://127.0.0.1:$port$QUERY"; do
    kill -0 "$gen_pid" 2>/dev/null || { echo "server exited" >&2; exit 1; }
    sleep 0.05
  done
  rss=$(awk '/VmHWM/ {print $2}' "/proc/$gen_pid/status")
  kill "$gen_pid"
  awk -v r="$rss" -v b="$bytes" 'BEGIN {printf "peak RSS %.0f MiB for %.0f MiB of serialized JSON: %.2fx\n", r/1024, b/1048576, r*1024/b}'
fi
