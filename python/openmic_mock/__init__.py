"""openmic-mock for Python: a faithful local fake of the OpenMic.ai calls API, one ``pip install`` away.

- :class:`MockServer` starts the ``openmic-mock`` binary (installed with this package) on a free port and wraps
  its admin API: data, the request journal, faults, the clock, created calls' outcomes.
- :class:`Tenant` is one test's own API key and data set on a shared server (``MockServer.tenant()``).
- The pytest plugin (loaded by pytest on its own) gives tests the ``openmic_mock`` fixture: a tenant per test
  on one server per session. See :mod:`openmic_mock.pytest_plugin`.

Standard library only.
"""

from ._admin import AdminError, OpenMicMockError, StartError, Tenant
from ._server import MockServer, find_binary

__all__ = [
    "AdminError",
    "MockServer",
    "OpenMicMockError",
    "StartError",
    "Tenant",
    "find_binary",
]
