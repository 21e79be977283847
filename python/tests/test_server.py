"""MockServer on its own: the wheel's binary, starting, stopping, the flags, and errors worth reading."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any, Dict, List

import pytest

import openmic_mock
from helpers import api, is_running
from openmic_mock import AdminError, MockServer, OpenMicMockError, StartError, find_binary


def test_the_package_under_test_is_the_installed_wheel() -> None:
    assert Path(openmic_mock.__file__).parent.parent == Path(sysconfig.get_path("purelib"))
    assert (Path(openmic_mock.__file__).parent / "py.typed").is_file()


def test_the_wheel_puts_openmic_mock_on_path_next_to_this_python() -> None:
    binary = Path(find_binary())
    assert binary.parent == Path(sysconfig.get_path("scripts"))
    assert shutil.which("openmic-mock") == str(binary), "the virtual environment's bin is on PATH"
    version = subprocess.run([str(binary), "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("openmic-mock ")


def test_a_bad_fixture_file_is_a_start_error_that_lists_every_problem(tmp_path: Path) -> None:
    bad = tmp_path / "calls.json"
    bad.write_text('[{"call_id": "half-a-call"}]\n')
    with pytest.raises(StartError) as err:
        MockServer(fixtures=bad).start()
    message = str(err.value)
    assert err.value.exit_code == 1
    assert "not serving: the calls are invalid" in message
    assert f'{bad}:1:2: call #0 (call_id "half-a-call"): field `call_type`: required field is missing' in message
    with pytest.raises(StartError, match="missing.json: cannot read"):
        MockServer(fixtures=tmp_path / "missing.json").start()
    with pytest.raises(StartError, match="unexpected argument '--no-such-flag'"):
        MockServer(extra_args=["--no-such-flag"]).start()


def test_the_process_is_stopped_when_the_with_block_raises() -> None:
    with pytest.raises(RuntimeError, match="the test failed"):
        with MockServer() as server:
            pid = server.pid
            assert pid is not None and is_running(pid)
            raise RuntimeError("the test failed")
    assert pid is not None
    assert not is_running(pid)
    assert not server.running
    with pytest.raises(OpenMicMockError, match="not running"):
        server.base_url
    assert server.stop() is None, "stopping twice is fine"


def test_stop_returns_the_mocks_clean_exit_code() -> None:
    server = MockServer().start()
    assert server.stop() == 0


def test_a_server_that_died_is_reported_with_its_exit_code() -> None:
    with MockServer() as server:
        assert server.pid is not None
        os.kill(server.pid, 9)
        server._process.wait(timeout=10)  # type: ignore[union-attr]
        with pytest.raises(OpenMicMockError, match="exited with code -9"):
            server.calls()


def test_generate_and_seed_serve_the_same_calls_every_time() -> None:
    with MockServer(generate=20, seed=3) as one, MockServer(generate=20, seed=3) as two:
        assert "with 20 calls" in one.startup_line
        assert len(one.calls()) == 20
        assert one.calls() == two.calls()
        assert one.base_url != two.base_url


def test_anchor_off_serves_the_embedded_set_in_its_fixed_window() -> None:
    with MockServer(anchor="off") as server:
        assert "with 300 calls from 2025-10-03 to 2025-12-31" in server.startup_line
        starts = [c["start_timestamp"] for c in server.calls() if c.get("start_timestamp")]
        assert 1759449600000 <= min(starts) and max(starts) < 1767225600000  # 2025-10-03, 2026-01-01


def test_a_virtual_clock_and_queued_outcomes_decide_how_a_created_call_ends() -> None:
    with MockServer(anchor="off", clock="virtual:2026-01-15T09:00:00Z") as server:
        start = server.now()
        assert start == 1768467600000
        assert server.push_outcomes({"status": "ended", "ring_ms": 1000, "talk_ms": 60000}) == 1
        status, _, created = api(
            server.base_url,
            "/v1/create-phone-call",
            server.api_key,
            {"from_number": "+16469304258", "to_number": "+15551234567"},
        )
        assert (status, created["call_status"]) == (201, "registered")
        assert server.outcomes() == []
        assert server.advance(61_000) == start + 61_000
        _, _, call = api(server.base_url, f"/v1/call/{created['call_id']}", server.api_key)
        assert (call["call_status"], call["duration_ms"]) == ("ended", 60000)


def test_an_admin_key_is_sent_with_every_admin_request() -> None:
    with MockServer(admin_key="s3cret") as server:
        assert len(server.calls()) == 300
        server.push_fault({"status": 500})
        assert api(server.base_url, "/v1/calls", server.api_key)[0] == 500
        status, _, body = api(server.base_url, "/__admin/calls", "not-the-admin-key")
        assert status == 401, body


def test_calls_and_requests_read_every_page() -> None:
    with MockServer(generate=1500, seed=2, extra_args=["--journal-size", "1500"]) as server:
        calls = server.calls()
        assert len({c["call_id"] for c in calls}) == 1500
        for offset in range(1001):
            assert api(server.base_url, f"/v1/calls?limit=1&offset={offset}", server.api_key)[0] == 200
        journal = server.requests()
        assert [r["raw_query"] for r in journal] == [f"limit=1&offset={n}" for n in range(1001)]
        assert len(server.requests(path="/v1/calls", status=200)) == 1001


def test_webhooks_reach_a_receiver_the_test_starts() -> None:
    import http.server
    import threading

    received: List[Dict[str, Any]] = []

    class Receiver(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            received.append({"path": self.path, "agent": self.headers["user-agent"], "body": json.loads(body)})
            reply = b'{"call": {"customer_id": "cus_7", "dynamic_variables": {"tier": "gold"}}}'
            self.send_response(200)
            self.send_header("content-length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, *args: Any) -> None:
            pass

    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=receiver.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{receiver.server_address[1]}"
    try:
        with MockServer(anchor="off", clock="virtual:2026-01-15T09:00:00Z") as server:
            config = server.set_webhooks(post_call_url=f"{url}/post", pre_call_url=f"{url}/pre", direction="inbound")
            assert config == server.webhooks() == {
                "post_call_url": f"{url}/post", "pre_call_url": f"{url}/pre", "direction": "inbound"}
            call = server.inbound_call("+15551230000", "+16469304258")
            assert (call["direction"], call["call_status"]) == ("inbound", "registered")
            server.advance(3_600_000)
            assert [r["path"] for r in received] == ["/pre", "/post"]
            assert {r["agent"] for r in received} == {"Openmic-Webhook/1.0"}
            assert received[0]["body"]["call"]["attempt"] == "1"
            report = received[1]["body"]
            assert (report["type"], report["sessionId"]) == ("end-of-call-report", call["call_id"])
            assert report["dynamicVariables"] == {"tier": "gold"}
            assert [d["kind"] for d in server.webhook_deliveries(call_id=call["call_id"])] == ["pre-call", "post-call"]
            assert server.send_webhook(call["call_id"])["ok"] is True
            assert len(server.webhook_deliveries(kind="post-call")) == 2
            with pytest.raises(AdminError) as bad:
                server.set_webhooks(post_call_url="ftp://nowhere/x")
            assert bad.value.status == 400 and "post_call_url" in str(bad.value)
            assert server.clear_webhooks()["post_call_url"] is None
    finally:
        receiver.shutdown()
