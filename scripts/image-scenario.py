#!/usr/bin/env python3
"""The image's entry point, run from its exported file system as a container runtime would run it.

Usage: image-scenario.py ROOTFS ENV_FILE   (ENV_FILE: the image's environment, one VAR=value per line)

scripts/image-check runs this as root in a network namespace of its own (only its loopback exists, so the
image's 0.0.0.0:8080 is reachable from nowhere else). Each run chroots into ROOTFS as the image's user
(65532:65532) with exactly the image's environment, plus what a compose file or a CI `services:` block would set.
Like a runtime, it writes /etc/hosts and /etc/resolv.conf into ROOTFS first: the name `receiver` is only in
that hosts file, so a webhook to http://receiver:9000/hook proves the static binary resolves names with no
NSS module and no C library in the file system.

Checks, each failing the script with a message:
1. no arguments, the image's environment: serves the embedded data on 0.0.0.0:8080, admin API off (404),
   `openmic-mock healthcheck` exits 0, `openmic-contract --version` runs, SIGTERM exits 0;
2. as a CI service (OPENMIC_MOCK_NETWORK_ADMIN=open, a virtual clock, a post-call webhook to
   http://receiver:9000/hook): a created call, the clock advanced, the end-of-call report delivered to the
   receiver by host name; SIGTERM exits 0.
"""

import json
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

USER = "65532:65532"
# Found on this machine's PATH: the child's environment is the image's, whose PATH is /usr/local/bin.
CHROOT = shutil.which("chroot") or "/usr/sbin/chroot"
MOCK = "/usr/local/bin/openmic-mock"
KIT = "/usr/local/bin/openmic-contract"
BASE = "http://127.0.0.1:8080"


def fail(message: str) -> None:
    print(f"image-scenario: FAILED: {message}", file=sys.stderr)
    sys.exit(1)


def request(method: str, path: str, body: object = None, key: str | None = "test-key") -> tuple[int, object]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    if key:
        req.add_header("Authorization", f"Bearer {key}")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=10) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


class Entry:
    """The entry point in the chroot, as the image's user, with the image's environment and `extra`."""

    def __init__(self, rootfs: Path, env: dict[str, str], extra: dict[str, str], args: list[str]):
        self.process = subprocess.Popen(
            [CHROOT, f"--userspec={USER}", str(rootfs), MOCK, *args],
            env={**env, **extra},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        line = self.process.stdout.readline() if self.process.stdout else ""
        if "listening on" not in line:
            self.process.kill()
            fail(f"no startup line from {MOCK}: {line!r} {self.process.stderr.read() if self.process.stderr else ''}")
        self.startup = line.strip()
        print(f"   {self.startup}")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            fail("SIGTERM did not stop the mock within 15 s")
        if code != 0:
            fail(f"the mock exited {code} on SIGTERM: {self.process.stderr.read() if self.process.stderr else ''}")
        print("   SIGTERM: exit 0")


def in_image(rootfs: Path, env: dict[str, str], *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROOT, f"--userspec={USER}", str(rootfs), *command],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )


class Receiver(BaseHTTPRequestHandler):
    deliveries: list[tuple[str, str, dict]] = []

    def do_POST(self) -> None:  # noqa: N802 (the handler's name is http.server's)
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        Receiver.deliveries.append((self.path, self.headers.get("Host", ""), json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def main() -> None:
    rootfs, env_file = Path(sys.argv[1]), Path(sys.argv[2])
    env = dict(line.split("=", 1) for line in env_file.read_text().splitlines() if "=" in line)
    files = sorted(str(p.relative_to(rootfs)) for p in rootfs.rglob("*") if not p.is_dir())
    print(f"   the exported file system: {', '.join(files)}")
    etc = rootfs / "etc"
    etc.mkdir(exist_ok=True)
    (etc / "hosts").write_text("127.0.0.1 localhost\n::1 localhost ip6-localhost\n127.0.0.1 receiver\n")
    (etc / "resolv.conf").write_text("nameserver 127.0.0.1\n")
    print("   written as a container runtime would: /etc/hosts (with `127.0.0.1 receiver`), /etc/resolv.conf")

    print("== 1. no arguments, the image's environment")
    mock = Entry(rootfs, env, {}, [])
    if "http://0.0.0.0:8080" not in mock.startup or "admin API off" not in mock.startup:
        fail(f"expected 0.0.0.0:8080 with the admin API off: {mock.startup}")
    status, page = request("GET", "/v1/calls?limit=2")
    if status != 200 or not isinstance(page, dict) or len(page.get("calls", [])) != 2:
        fail(f"GET /v1/calls?limit=2 answered {status}: {page}")
    print(f"   GET /v1/calls?limit=2: 200, {len(page['calls'])} calls of {page.get('pagination', {}).get('total')}")
    status, _ = request("GET", "/__admin/requests", key=None)
    if status != 404:
        fail(f"the admin API answered {status}, not 404, with the image's default settings")
    print("   GET /__admin/requests: 404 (admin API off)")
    health = in_image(rootfs, env, MOCK, "healthcheck")
    if health.returncode != 0 or not health.stdout.startswith("healthy"):
        fail(f"healthcheck exited {health.returncode}: {health.stdout}{health.stderr}")
    print(f"   openmic-mock healthcheck: exit 0, {health.stdout.strip()}")
    kit = in_image(rootfs, env, KIT, "--version")
    if kit.returncode != 0:
        fail(f"openmic-contract --version exited {kit.returncode}: {kit.stderr}")
    print(f"   openmic-contract --version: {kit.stdout.strip()}")
    mock.stop()
    health = in_image(rootfs, env, MOCK, "healthcheck", "--timeout", "1")
    if health.returncode == 0:
        fail("healthcheck exited 0 with no mock running")
    print(f"   healthcheck with the mock stopped: exit {health.returncode}, {health.stderr.strip()}")

    print("== 2. as a CI service: admin open, a virtual clock, a post-call webhook to http://receiver:9000/hook")
    receiver = ThreadingHTTPServer(("127.0.0.1", 9000), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    mock = Entry(
        rootfs,
        env,
        {
            "OPENMIC_MOCK_NETWORK_ADMIN": "open",
            "OPENMIC_MOCK_CLOCK": "virtual",
            "OPENMIC_MOCK_POST_CALL_WEBHOOK": "http://receiver:9000/hook",
        },
        [],
    )
    status, call = request(
        "POST", "/v1/create-phone-call", {"from_number": "+16469304258", "to_number": "+15551234567"}
    )
    if status != 201 or not isinstance(call, dict):
        fail(f"create-phone-call answered {status}: {call}")
    call_id = call["call_id"]
    print(f"   POST /v1/create-phone-call: 201, {call_id}")
    status, clock = request("POST", "/__admin/clock/advance", {"ms": 3_600_000}, key=None)
    if status != 200:
        fail(f"clock advance answered {status}: {clock}")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and not Receiver.deliveries:
        time.sleep(0.1)
    if not Receiver.deliveries:
        status, deliveries = request("GET", "/__admin/webhooks/deliveries", key=None)
        fail(f"no webhook reached http://receiver:9000/hook within 15 s; the mock's deliveries: {deliveries}")
    path, host, payload = Receiver.deliveries[0]
    if path != "/hook" or host != "receiver:9000" or call_id not in json.dumps(payload):
        fail(f"unexpected delivery: {path} Host {host}: {payload}")
    print(f"   the end-of-call report reached {path} with Host: {host}, for {call_id}")
    mock.stop()
    receiver.shutdown()
    print("== image-scenario: every check passed")


if __name__ == "__main__":
    main()
