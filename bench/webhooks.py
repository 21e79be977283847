#!/usr/bin/env python3
"""How fast the mock delivers post-call reports: N created calls end in one virtual-clock advance, and the
advance returns once every report has been delivered. Loopback only, bounded by N, stops by itself.

    cargo build --release -p openmic-mock
    python3 bench/webhooks.py [N] [ROUNDS]

Each round starts a fresh mock with a virtual clock, creates N calls, and times `POST /__admin/clock/advance`
over their whole life twice: once with no webhook configured (the baseline: the calls just end), once with a
post-call URL served by a receiver in this process that answers 200 at once. Prints the medians, and the
receiver's count, which must equal N.
"""

import http.client
import http.server
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.path.join(os.environ.get("CARGO_TARGET_DIR", os.path.join(ROOT, "target")), "release", "openmic-mock")


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    count = 0
    lock = threading.Lock()

    def do_POST(self):
        length = int(self.headers.get("content-length", "0"))
        self.rfile.read(length)
        with Receiver.lock:
            Receiver.count += 1
        self.send_response(200)
        self.send_header("content-length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, body=None, auth=True):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"content-type": "application/json"}
    if auth:
        headers["authorization"] = "Bearer test-key"
    conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    if response.status >= 300:
        raise RuntimeError(f"{method} {path}: {response.status} {data[:300]!r}")
    return json.loads(data) if data else None


def round_trip(n, hook_url):
    port = free_port()
    args = [BIN, "--port", str(port), "--clock", "virtual", "--log-level", "warn"]
    if hook_url:
        args += ["--post-call-webhook", hook_url]
    mock = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        mock.stdout.readline()
        calls = request(port, "GET", "/v1/calls?limit=100")["calls"]
        number = next(c["from_number"] for c in calls if c["direction"] == "outbound")
        request(port, "POST", "/__admin/outcomes",
                [{"status": "ended", "ring_ms": 1000, "talk_ms": 60_000} for _ in range(n)], auth=False)
        for i in range(n):
            request(port, "POST", "/v1/create-phone-call",
                    {"from_number": number, "to_number": f"+1555{i:07d}"})
        started = time.perf_counter()
        request(port, "POST", "/__admin/clock/advance", {"ms": 120_000}, auth=False)
        elapsed = time.perf_counter() - started
        delivered = None
        if hook_url:
            page = request(port, "GET", "/__admin/webhooks/deliveries?limit=1000&kind=post-call", auth=False)
            delivered = sum(1 for d in page["deliveries"] if d["ok"])
        return elapsed, delivered
    finally:
        mock.terminate()
        mock.wait(timeout=10)


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    if n > 1000:
        sys.exit("N is at most 1000 (one journal page)")
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    hook = f"http://127.0.0.1:{server.server_address[1]}/hook"
    base, hooked = [], []
    for _ in range(rounds):
        Receiver.count = 0
        elapsed, _ = round_trip(n, None)
        base.append(elapsed)
        elapsed, delivered = round_trip(n, hook)
        hooked.append(elapsed)
        if delivered != n or Receiver.count != n:
            sys.exit(f"expected {n} reports, the journal says {delivered} and the receiver got {Receiver.count}")
    b, h = statistics.median(base), statistics.median(hooked)
    print(f"{n} calls ending in one advance, medians of {rounds} rounds:")
    print(f"  no webhook:       {b * 1000:8.1f} ms")
    print(f"  post-call report: {h * 1000:8.1f} ms  ({n / h:,.0f} reports/s, all {n} delivered and journaled)")
    server.shutdown()


if __name__ == "__main__":
    main()
