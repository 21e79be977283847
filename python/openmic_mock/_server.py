"""The ``openmic-mock`` binary as a context manager: start it on a free port, wait for its answer, stop it.

The port comes from the one line the mock prints on stdout when it listens (``openmic-mock listening on
http://127.0.0.1:PORT ...``), so there is no sleep and no race for a port. Stopping sends SIGTERM (the mock
finishes requests in flight and exits 0), then kills it after a timeout; servers still running when Python
exits are stopped too.
"""

from __future__ import annotations

import atexit
import os
import queue
import re
import secrets
import shutil
import subprocess
import sysconfig
import tempfile
import threading
import weakref
from pathlib import Path
from typing import IO, Any, Dict, List, Optional, Sequence, Union

from ._admin import OpenMicMockError, StartError, Tenant, _AdminApi, _OPENER

__all__ = ["MockServer", "find_binary"]

#: The binary's name in a wheel's scripts.
_BINARY = "openmic-mock.exe" if os.name == "nt" else "openmic-mock"

#: The variable that points at another build of the binary (for working on the mock itself).
BINARY_ENV = "OPENMIC_MOCK_BINARY"

_LISTENING = re.compile(r"listening on (http://(\[[^\]]+\]|[^\s:/]+):(\d+))")

# Servers still running, stopped at exit if their owner did not (a test run interrupted between fixtures).
_RUNNING: "weakref.WeakSet[MockServer]" = weakref.WeakSet()


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        server.stop()


def find_binary() -> str:
    """The ``openmic-mock`` binary to run: ``$OPENMIC_MOCK_BINARY`` if set; else the one the wheel installed
    next to this interpreter's scripts (so it is found in a virtual environment that is not activated); else
    the first on ``PATH``."""
    override = os.environ.get(BINARY_ENV)
    if override:
        return override
    scripts = [sysconfig.get_path("scripts")]
    try:
        user = sysconfig.get_preferred_scheme("user")  # Python 3.10 and later
    except AttributeError:
        user = f"{os.name}_user"
    try:
        scripts.append(sysconfig.get_path("scripts", user))
    except KeyError:
        pass
    for folder in scripts:
        candidate = Path(folder) / _BINARY
        if candidate.is_file():
            return str(candidate)
    found = shutil.which(_BINARY)
    if found:
        return found
    raise StartError(
        f"cannot find the {_BINARY} binary: it is installed with this package (pip install openmic-mock) "
        f"in {sysconfig.get_path('scripts')}; or set {BINARY_ENV} to its path"
    )


class MockServer(_AdminApi):
    """The mock, started as a process on a free loopback port, and its admin API.

    ::

        with MockServer() as server:
            calls = my_client(base_url=server.base_url, api_key=server.api_key).list_calls()

    Arguments are the binary's flags (see ``openmic-mock serve --help``): ``fixtures`` (a fixture file to serve
    instead of the embedded data set), ``generate`` and ``seed`` (serve that many generated calls),
    ``api_key``, ``anchor`` (``"now"``, ``"off"``, a date or an RFC 3339 time: where the data sits in time),
    ``clock`` (``"real"``, ``"virtual"`` or ``"virtual:TIME"``), and ``extra_args`` for any other flag, such as
    ``("--rate-limit", "100/min")``. ``OPENMIC_MOCK_*`` variables of the environment are not passed on, so the
    arguments alone decide how it runs. ``admin_key`` is sent with every admin request (and passed as
    ``--admin-key``). ``start_timeout`` bounds the start (loading a large fixture file takes seconds);
    ``stop_timeout`` is how long :meth:`stop` waits after SIGTERM before it kills the process.

    The admin methods (:meth:`calls`, :meth:`set_calls`, :meth:`push_fault`, :meth:`requests`...) act on the
    default data set and the server-wide faults; :meth:`tenant` gives a test a key and a data set of its own.
    """

    def __init__(
        self,
        fixtures: Union[str, "os.PathLike[str]", None] = None,
        generate: Optional[int] = None,
        seed: Optional[int] = None,
        api_key: str = "test-key",
        anchor: Optional[str] = None,
        clock: Optional[str] = None,
        extra_args: Sequence[str] = (),
        *,
        admin_key: Optional[str] = None,
        binary: Optional[str] = None,
        start_timeout: float = 60.0,
        stop_timeout: float = 10.0,
    ) -> None:
        self._fixtures = fixtures
        self._generate = generate
        self._seed = seed
        self._key = api_key
        self._anchor = anchor
        self._clock = clock
        self._extra_args = tuple(str(a) for a in extra_args)
        self._admin_key = admin_key
        self._binary = binary
        self.start_timeout = start_timeout
        self.stop_timeout = stop_timeout
        self._process: Optional[subprocess.Popen[bytes]] = None
        self._stderr: Optional[IO[bytes]] = None
        self._base_url: Optional[str] = None
        self._startup_line = ""

    def __repr__(self) -> str:
        state = self._base_url if self.running else "stopped"
        return f"MockServer({state})"

    # The process

    def command(self) -> List[str]:
        """The command line :meth:`start` runs."""
        args = [self._binary or find_binary(), "serve"]
        if not any(a == "--port" or a.startswith("--port=") for a in self._extra_args):
            args += ["--port", "0"]
        args += ["--api-key", self._key]
        if self._fixtures is not None:
            args += ["--fixtures", os.fspath(self._fixtures)]
        if self._generate is not None:
            args += ["--generate", str(self._generate)]
        if self._seed is not None:
            args += ["--seed", str(self._seed)]
        if self._anchor is not None:
            args += ["--anchor", str(self._anchor)]
        if self._clock is not None:
            args += ["--clock", str(self._clock)]
        if self._admin_key is not None:
            args += ["--admin-key", self._admin_key]
        return args + list(self._extra_args)

    def start(self) -> "MockServer":
        """Starts the mock and returns once it has answered a request. A mock that exits (a bad fixture file,
        an unknown flag) or does not answer in ``start_timeout`` seconds is a :class:`StartError` carrying what
        it printed."""
        if self.running:
            raise OpenMicMockError(f"{self!r} is already running")
        command = self.command()
        env = {k: v for k, v in os.environ.items() if not k.startswith("OPENMIC_MOCK_")}
        self._stderr = tempfile.TemporaryFile()
        try:
            process = subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=self._stderr,
                env=env,
            )
        except OSError as err:
            self._close_stderr()
            raise StartError(f"cannot run {command[0]}: {err}") from err
        self._process = process
        _RUNNING.add(self)
        try:
            self._startup_line = self._first_line(process)
            match = _LISTENING.search(self._startup_line)
            if not match:
                raise StartError(f"unexpected startup line from openmic-mock: {self._startup_line!r}")
            host = {"0.0.0.0": "127.0.0.1", "[::]": "[::1]"}.get(match.group(2), match.group(2))
            self._base_url = f"http://{host}:{match.group(3)}"
            self._check_health()
        except BaseException:
            self.stop()
            raise
        return self

    def _first_line(self, process: "subprocess.Popen[bytes]") -> str:
        """The startup line, read on a thread so that a mock that neither prints nor exits cannot hang the
        caller past ``start_timeout``. The thread then drains stdout until the mock exits, so the mock never
        blocks on a full pipe."""
        lines: "queue.Queue[bytes]" = queue.Queue()
        stdout = process.stdout
        assert stdout is not None

        def read() -> None:
            # The thread owns the pipe: it closes it at end of file (the mock exited), never under a read.
            with stdout:
                try:
                    lines.put(stdout.readline())
                    for _ in stdout:
                        pass
                except (OSError, ValueError):
                    lines.put(b"")

        threading.Thread(target=read, name="openmic-mock stdout", daemon=True).start()
        try:
            line = lines.get(timeout=self.start_timeout)
        except queue.Empty:
            raise StartError(
                f"openmic-mock printed nothing in {self.start_timeout} s; stderr:\n{self._stderr_text()}"
            ) from None
        if not line:
            try:
                code = process.wait(timeout=self.stop_timeout)
            except subprocess.TimeoutExpired:
                code = None
            stderr = self._stderr_text()
            raise StartError(
                f"openmic-mock exited with code {code} before listening:\n{stderr}".rstrip(),
                exit_code=code,
                stderr=stderr,
            )
        return line.decode("utf-8", "replace").strip()

    def _check_health(self) -> None:
        """One request to ``/__admin/health`` (answered even with ``--no-admin``): the mock printed its line
        after binding, so it answers as soon as its accept loop runs."""
        try:
            with _OPENER.open(f"{self._base_url}/__admin/health", timeout=self.start_timeout) as answer:
                answer.read()
        except OSError as err:
            raise StartError(f"openmic-mock at {self._base_url} did not answer: {err}") from err

    def stop(self) -> Optional[int]:
        """Stops the mock: SIGTERM, then a kill after ``stop_timeout`` seconds. Returns its exit code (None if
        it was not running). Safe to call twice."""
        process = self._process
        if process is None:
            return None
        self._process = None
        _RUNNING.discard(self)
        try:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=self.stop_timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
        finally:
            self._close_stderr()
        return process.returncode

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.flush()
        self._stderr.seek(0)
        return self._stderr.read().decode("utf-8", "replace")

    def _close_stderr(self) -> None:
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def _unreachable(self, reason: object) -> OpenMicMockError:
        process = self._process
        if process is not None and process.poll() is not None:
            return OpenMicMockError(
                f"openmic-mock exited with code {process.returncode}; stderr:\n{self._stderr_text()}"
            )
        return super()._unreachable(reason)

    def __enter__(self) -> "MockServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        """Whether the process runs."""
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> Optional[int]:
        """The process id, while it runs."""
        return self._process.pid if self._process is not None else None

    @property
    def startup_line(self) -> str:
        """The line the mock printed when it started: its address, how many calls, their window, the key."""
        return self._startup_line

    @property
    def base_url(self) -> str:
        """The mock's address, such as ``http://127.0.0.1:41234`` (no trailing slash)."""
        if self._base_url is None or self._process is None:
            raise OpenMicMockError("the MockServer is not running: use it in a `with` block, or call start()")
        return self._base_url

    @property
    def api_key(self) -> str:
        """The API key the mock accepts for its default data set."""
        return self._key

    # Server-wide admin routes

    def reset(self) -> int:
        """The startup data set again, no faults, an empty journal, full rate-limit buckets (tenants are kept).
        Returns how many calls the default data set has."""
        return int(self._admin("POST", "/__admin/reset")["calls"])

    def tenant(self, api_key: Optional[str] = None) -> Tenant:
        """A new tenant: ``api_key`` (a fresh random one by default) gets a copy of the startup data set and
        becomes valid. Use it as a context manager, or call :meth:`Tenant.delete` when done."""
        key = api_key if api_key is not None else f"tenant-{secrets.token_hex(8)}"
        tenant = Tenant(self, key)
        tenant.reset()
        return tenant

    def tenants(self) -> List[Dict[str, Any]]:
        """Every tenant's key and call count: ``[{"api_key": ..., "calls": N}]``, sorted by key."""
        return list(self._admin("GET", "/__admin/tenants")["tenants"])

