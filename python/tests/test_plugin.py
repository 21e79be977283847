"""The plugin seen from outside: whole pytest sessions run in a subprocess (pytester), so a test can check
what is left once a session ends, and what its options do."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Dict, Set, Tuple

import pytest

from helpers import is_running
from openmic_mock import find_binary

RECORD_PID = """
import os

def test_records_the_server(openmic_mock, openmic_mock_server):
    with open(os.environ["PID_FILE"], "a") as f:
        f.write(f"{openmic_mock_server.pid}\\n")
    {ending}
"""


@pytest.mark.parametrize(
    "ending, outcome",
    [
        ('assert False, "this test fails on purpose"', {"failed": 1}),
        ('raise RuntimeError("an error on purpose")', {"failed": 1}),
        ("raise KeyboardInterrupt", {}),
    ],
    ids=["failed-assert", "error", "interrupted"],
)
def test_a_failing_test_leaves_no_process_behind(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ending: str, outcome: Dict[str, int]
) -> None:
    pid_file = pytester.path / "pids"
    monkeypatch.setenv("PID_FILE", str(pid_file))
    pytester.makepyfile(RECORD_PID.replace("{ending}", ending))
    result = pytester.runpytest_subprocess()
    if outcome:
        result.assert_outcomes(**outcome)
    else:
        result.stdout.fnmatch_lines(["*KeyboardInterrupt*"])
    pids = [int(line) for line in pid_file.read_text().split()]
    assert len(pids) == 1
    assert not is_running(pids[0]), f"openmic-mock (pid {pids[0]}) outlived the pytest session"


def test_fixtures_option_pins_the_data_set_to_a_file(pytester: pytest.Pytester) -> None:
    subprocess.run(
        [find_binary(), "generate", "--count", "3", "--seed", "5", "--out", "pinned.json"],
        cwd=pytester.path,
        check=True,
    )
    pytester.makepyfile(
        """
        import json

        def test_serves_the_file(openmic_mock):
            with open("pinned.json") as f:
                pinned = json.load(f)
            # `generate` writes the calls with their account: {"calls", "bots", "phone_numbers"}.
            calls = pinned["calls"]
            # Served as written: the same calls, bots and numbers, timestamps not moved.
            by_id = lambda calls: {c["call_id"]: c for c in calls}
            assert by_id(openmic_mock.calls()) == by_id(calls)
            assert len(calls) == 3
            by_uid = lambda bots: {b["uid"]: b for b in bots}
            assert by_uid(openmic_mock.bots()) == by_uid(pinned["bots"])
            by_number_id = lambda numbers: {n["phone_number_id"]: n for n in numbers}
            assert by_number_id(openmic_mock.phone_numbers()) == by_number_id(pinned["phone_numbers"])
        """
    )
    pytester.runpytest_subprocess("--openmic-mock-fixtures", "pinned.json").assert_outcomes(passed=1)


def test_arg_option_passes_flags_through(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_the_fixed_window_on_a_virtual_clock(openmic_mock, openmic_mock_server):
            assert "from 2025-10-03 to 2025-12-31" in openmic_mock_server.startup_line
            start = openmic_mock.now()
            assert openmic_mock.advance(5) == start + 5
        """
    )
    result = pytester.runpytest_subprocess("--openmic-mock-arg=--anchor=off", "--openmic-mock-arg=--clock=virtual")
    result.assert_outcomes(passed=1)


def test_a_conftest_overrides_the_options(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(
        """
        import pytest

        @pytest.fixture(scope="session")
        def openmic_mock_options():
            return {"generate": 7, "seed": 11, "api_key": "project-key"}
        """
    )
    pytester.makepyfile(
        """
        def test_seven_generated_calls(openmic_mock, openmic_mock_server):
            assert len(openmic_mock.calls()) == 7
            assert openmic_mock_server.api_key == "project-key"
        """
    )
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_a_bad_fixtures_option_fails_the_tests_with_the_mocks_message(pytester: pytest.Pytester) -> None:
    (pytester.path / "bad.json").write_text('[{"call_id": "half-a-call"}]')
    pytester.makepyfile(
        """
        def test_one(openmic_mock):
            pass

        def test_two(openmic_mock):
            pass
        """
    )
    result = pytester.runpytest_subprocess("--openmic-mock-fixtures", "bad.json")
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*StartError: openmic-mock exited with code 1 before listening:*",
            '*bad.json:1:2: call #0 (call_id "half-a-call"): field `call_type`: required field is missing*',
        ]
    )


def test_each_xdist_worker_has_its_own_server(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("xdist")
    seen = pytester.path / "seen"
    monkeypatch.setenv("SEEN_FILE", str(seen))
    pytester.makepyfile(
        """
        import os
        import pytest

        @pytest.mark.parametrize("n", range(8))
        def test_records(n, worker_id, openmic_mock, openmic_mock_server):
            assert len(openmic_mock.calls()) == 300
            openmic_mock.remove_call(openmic_mock.calls()[0]["call_id"])
            with open(os.environ["SEEN_FILE"], "a") as f:
                f.write(f"{worker_id} {openmic_mock_server.base_url} {openmic_mock_server.pid} {openmic_mock.api_key}\\n")
        """
    )
    pytester.runpytest_subprocess("-n", "2").assert_outcomes(passed=8)
    servers: Dict[str, Set[Tuple[str, int]]] = {}
    keys: Set[str] = set()
    for line in seen.read_text().splitlines():
        worker, url, pid, key = line.split()
        servers.setdefault(worker, set()).add((url, int(pid)))
        keys.add(key)
    assert len(keys) == 8, "each test has a key of its own"
    assert sorted(servers) == ["gw0", "gw1"]
    assert all(len(s) == 1 for s in servers.values()), servers
    (url0, pid0), (url1, pid1) = servers["gw0"].pop(), servers["gw1"].pop()
    assert url0 != url1
    assert not is_running(pid0) and not is_running(pid1)
