#!/usr/bin/env python3
"""Measures how openmic-mock holds up against hostile input, in one run: the figures of docs/performance.md
behind the limits of docs/limits.md.

Usage: bench/hardening.py [MOCK_BINARY ...]   (default: target/release/openmic-mock; give two binaries, such as
an older build and this one, to compare them in the same run)

For each binary:
  nesting   time for `validate` and `serve --fixtures` to refuse a call nested 100,000 levels (200 KB+ file)
  journal   RSS after 2,000 requests each carrying a 100 KiB header (--journal-size 1000), the peak and time of
            one read of the journal, and RSS after DELETE /__admin/requests
  sigterm   seconds from SIGTERM to exit while a client holds a half-sent request (capped at 15 s)
  churn     API p99 latency (wrk) on 100,000 calls, quiet and while 4 clients add and remove calls, and RSS
            before and after the churn

Loopback only; every load is bounded in requests and time; every server is stopped on exit. Needs python3,
and wrk for the churn figure (installed with apt-get when missing and running as root).
"""

import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

KEY = "test-key"
JSON = {"content-type": "application/json"}


def rss_kib(pid, field="VmRSS"):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


class Server:
    """An openmic-mock serving on a free port; stopped (killed if it must be) on exit."""

    def __init__(self, binary, *args):
        self.proc = subprocess.Popen(
            [binary, "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        line = self.proc.stdout.readline()
        match = re.search(r"http://127\.0\.0\.1:(\d+)", line)
        if not match:
            self.proc.kill()
            raise RuntimeError(f"no startup line from {binary}: {line!r}")
        self.port = int(match.group(1))

    def request(self, method, path, body=None, headers=None, timeout=120):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, data

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def nesting(binary, work):
    depth = 100_000
    with open(os.path.join(os.path.dirname(__file__), "..", "fixtures", "data", "calls.json")) as data:
        call = json.loads(data.read())[0]
    call["dynamic_variables"] = "PLACEHOLDER"
    text = "[" + json.dumps(call).replace('"PLACEHOLDER"', '{"a":' * depth + "1" + "}" * depth) + "]"
    path = os.path.join(work, "deep.json")
    with open(path, "w") as out:
        out.write(text)
    results = {}
    for name, args in [("validate", ["validate", path]), ("serve", ["--port", "0", "--fixtures", path])]:
        started = time.monotonic()
        try:
            proc = subprocess.run([binary, *args], capture_output=True, timeout=60)
            took = time.monotonic() - started
            outcome = f"exit {proc.returncode}"
        except subprocess.TimeoutExpired:
            took, outcome = 60.0, "still running after 60 s"
        results[name] = f"{took:.3f} s ({outcome})"
    print(f"  nesting: {len(text) // 1024} KiB file, validate {results['validate']}, serve {results['serve']}")


def journal(binary):
    with Server(binary, "--journal-size", "1000") as server:
        header = "v" * (100 * 1024)
        started_rss = rss_kib(server.proc.pid)
        for _ in range(2000):
            status, _ = server.request(
                "GET", "/v1/calls?limit=1", headers={"authorization": f"Bearer {KEY}", "x-big": header}
            )
            assert status == 200, status
        after = rss_kib(server.proc.pid)
        peak_before_read = rss_kib(server.proc.pid, "VmHWM")
        started = time.monotonic()
        status, body = server.request("GET", "/__admin/requests?limit=1000")
        if status == 400:  # a build without paging reads everything at once
            status, body = server.request("GET", "/__admin/requests")
        took = time.monotonic() - started
        peak = rss_kib(server.proc.pid, "VmHWM")
        server.request("DELETE", "/__admin/requests", headers=JSON)
        time.sleep(0.5)
        cleared = rss_kib(server.proc.pid)
        status_400k, _ = server.request(
            "GET", "/v1/calls?limit=1", headers={"authorization": f"Bearer {KEY}", "x-big": "v" * 400 * 1024}
        )
        print(
            f"  journal: RSS {started_rss // 1024} MiB at start, {after // 1024} MiB after 2,000 requests with a "
            f"100 KiB header; one read ({len(body) // 1024} KiB) took {took:.2f} s, peak RSS "
            f"{max(peak, peak_before_read) // 1024} MiB; {cleared // 1024} MiB after DELETE; "
            f"a 400 KiB header is answered {status_400k}"
        )


def sigterm(binary):
    with Server(binary) as server:
        held = socket.create_connection(("127.0.0.1", server.port))
        held.sendall(b"GET /v1/calls HTTP/1.1\r\nHost: localhost\r\n")
        time.sleep(0.2)
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        try:
            code = server.proc.wait(timeout=15)
            print(f"  sigterm: exited {code} {time.monotonic() - started:.2f} s after SIGTERM with a half-sent request")
        except subprocess.TimeoutExpired:
            print("  sigterm: still running 15 s after SIGTERM with a half-sent request (killed)")
        held.close()


def wrk_p99(port, seconds=10):
    out = subprocess.run(
        ["wrk", "-t1", "-c8", f"-d{seconds}s", "--latency", "-H", f"Authorization: Bearer {KEY}",
         f"http://127.0.0.1:{port}/v1/calls?limit=50&call_status=ended"],
        capture_output=True, text=True, check=True,
    ).stdout
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    value, unit = float(p99.group(1)), p99.group(2)
    ms = value / 1000 if unit == "us" else value * 1000 if unit == "s" else value
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return ms, rps


def churn(binary):
    if not shutil.which("wrk"):
        print("  churn: skipped (no wrk)")
        return
    with Server(binary, "--generate", "100000") as server:
        quiet = wrk_p99(server.port)
        rss_before = rss_kib(server.proc.pid)
        stop = threading.Event()
        changes = [0]

        def churner(n):
            call = json.loads(server.request("GET", "/v1/calls?limit=1", headers={"authorization": f"Bearer {KEY}"})[1])["calls"][0]
            call_id = f"churn-{n}"
            call["call_id"] = call_id
            body = json.dumps(call)
            while not stop.is_set():
                server.request("POST", "/__admin/calls", body=body, headers=JSON)
                server.request("DELETE", f"/__admin/calls/{call_id}", headers=JSON)
                changes[0] += 2

        threads = [threading.Thread(target=churner, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        busy = wrk_p99(server.port)
        stop.set()
        for thread in threads:
            thread.join()
        time.sleep(1)
        rss_after = rss_kib(server.proc.pid)
        print(
            f"  churn: p99 {quiet[0]:.2f} ms quiet ({quiet[1]:.0f} req/s), {busy[0]:.2f} ms during churn "
            f"({busy[1]:.0f} req/s, {changes[0]} admin changes in 10 s): {busy[0] / quiet[0]:.1f}x; RSS "
            f"{rss_before // 1024} MiB before churn, {rss_after // 1024} MiB after"
        )


def main():
    binaries = sys.argv[1:] or ["target/release/openmic-mock"]
    if not shutil.which("wrk") and os.geteuid() == 0:
        subprocess.run("apt-get update -qq && apt-get install -y -qq wrk", shell=True, capture_output=True)
    with tempfile.TemporaryDirectory() as work:
        for binary in binaries:
            print(binary)
            nesting(binary, work)
            journal(binary)
            sigterm(binary)
            churn(binary)


if __name__ == "__main__":
    main()
