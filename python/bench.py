"""Times what the Python package adds, with the installed wheel (python/test.sh builds it):

    target/python/venv/bin/python python/bench.py

- from ``MockServer()`` to the first answered ``GET /v1/calls`` (start, startup line, health check, one API
  request), for the embedded data set anchored to today (the default) and with ``anchor="off"``;
- the per-test cost of the ``openmic_mock`` fixture: pytest sessions of N tests that take ``openmic_mock``
  against N tests that take only ``openmic_mock_server``, the difference divided by N; and the tenant alone
  (``with server.tenant(): pass``), the two admin requests the fixture makes.

Medians (with the range) of several runs; a shared machine is noisy, so compare numbers from one run.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Callable, List

from openmic_mock import MockServer

OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def first_answer(**options: object) -> float:
    started = time.perf_counter()
    with MockServer(**options) as server:  # type: ignore[arg-type]
        request = urllib.request.Request(
            server.base_url + "/v1/calls", headers={"Authorization": f"Bearer {server.api_key}"}
        )
        with OPENER.open(request) as answer:
            answer.read()
        elapsed = time.perf_counter() - started
    return elapsed


def summary(name: str, samples: List[float], unit: float = 1e3, suffix: str = "ms") -> None:
    print(
        f"{name}: median {statistics.median(samples) * unit:.2f} {suffix} "
        f"(min {min(samples) * unit:.2f}, max {max(samples) * unit:.2f}, n={len(samples)})"
    )


def repeat(runs: int, measure: Callable[[], float]) -> List[float]:
    return [measure() for _ in range(runs)]


def pytest_session(folder: Path, fixture: str, tests: int) -> float:
    (folder / "test_many.py").write_text(
        "import pytest\n\n"
        f"@pytest.mark.parametrize('n', range({tests}))\n"
        f"def test_one(n, {fixture}):\n"
        "    pass\n"
    )
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(folder)],
        check=True,
        stdout=subprocess.DEVNULL,
        cwd=folder,
    )
    return time.perf_counter() - started


def main() -> None:
    first_answer()  # warm the page cache
    summary("MockServer() to the first answer, embedded set (anchored)", repeat(20, first_answer))
    summary(
        "MockServer() to the first answer, embedded set, anchor='off'",
        repeat(20, lambda: first_answer(anchor="off")),
    )

    with MockServer() as server:

        def tenant() -> float:
            started = time.perf_counter()
            with server.tenant():
                pass
            return time.perf_counter() - started

        repeat(50, tenant)
        summary("a tenant made and removed (the fixture's two requests)", repeat(500, tenant))

    tests = 500
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with_tenant, without = [], []
        for _ in range(3):
            with_tenant.append(pytest_session(folder, "openmic_mock", tests))
            without.append(pytest_session(folder, "openmic_mock_server", tests))
    per_test = [(a - b) / tests for a, b in zip(with_tenant, without)]
    summary(f"pytest session of {tests} tests with openmic_mock", with_tenant, 1, "s")
    summary(f"pytest session of {tests} tests with openmic_mock_server only", without, 1, "s")
    summary("openmic_mock fixture, per test (difference / tests)", per_test)


if __name__ == "__main__":
    main()
