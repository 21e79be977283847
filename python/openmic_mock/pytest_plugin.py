"""The pytest plugin: one mock per test session, and a tenant of it per test.

Installed with the package and loaded by pytest through its ``pytest11`` entry point, so a test needs no
import:

- ``openmic_mock_server`` (session): a :class:`~openmic_mock.MockServer` started with
  ``openmic_mock_options``; under pytest-xdist each worker starts its own.
- ``openmic_mock`` (function): a :class:`~openmic_mock.Tenant` of that server with its own API key and a fresh
  copy of the server's startup data set, removed after the test. Tests can run in any order: none sees another's
  changes, faults or requests.
- ``openmic_mock_options`` (session): the ``MockServer`` arguments, from ``--openmic-mock-fixtures`` and
  ``--openmic-mock-arg``; override it in a ``conftest.py`` to pin the data set in code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

from ._admin import Tenant
from ._server import MockServer


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("openmic-mock", "openmic-mock (a local fake of the OpenMic.ai calls API)")
    group.addoption(
        "--openmic-mock-fixtures",
        metavar="PATH",
        default=None,
        help="serve this fixture file (JSON array, saved List Calls response or JSON Lines) instead of the "
        "embedded data set; served with the timestamps as written",
    )
    group.addoption(
        "--openmic-mock-arg",
        metavar="ARG",
        action="append",
        default=[],
        help="pass ARG to openmic-mock; repeatable; give flags with '=', such as "
        "--openmic-mock-arg=--anchor=off or --openmic-mock-arg=--clock=virtual",
    )


@pytest.fixture(scope="session")
def openmic_mock_options(pytestconfig: pytest.Config) -> Dict[str, Any]:
    """Keyword arguments of :class:`~openmic_mock.MockServer` for the session's server: ``fixtures`` from
    ``--openmic-mock-fixtures`` (relative to where pytest was started), ``extra_args`` from
    ``--openmic-mock-arg``. Override it (session scope) in a ``conftest.py``, for example
    ``return {"anchor": "off"}`` to serve the embedded data set in its fixed 2025 window."""
    options: Dict[str, Any] = {}
    fixtures = pytestconfig.getoption("openmic_mock_fixtures")
    if fixtures:
        options["fixtures"] = str(Path(pytestconfig.invocation_params.dir, fixtures))
    extra = pytestconfig.getoption("openmic_mock_arg")
    if extra:
        options["extra_args"] = tuple(extra)
    return options


@pytest.fixture(scope="session")
def openmic_mock_server(openmic_mock_options: Dict[str, Any]) -> Iterator[MockServer]:
    """The session's mock (one per pytest-xdist worker), stopped when the session ends, failed tests or not.
    Its methods act on the default data set and the server-wide faults; most tests want ``openmic_mock``."""
    with MockServer(**openmic_mock_options) as server:
        yield server


@pytest.fixture
def openmic_mock(openmic_mock_server: MockServer) -> Iterator[Tenant]:
    """This test's own tenant of the session's mock: ``base_url``, an ``api_key`` of its own, a fresh copy of
    the startup data set, and the admin methods scoped to it (``requests()`` returns only this test's
    requests). Removed after the test."""
    with openmic_mock_server.tenant() as tenant:
        yield tenant
