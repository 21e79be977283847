"""What the tests share: a plain urllib client of the API, and a process check."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from typing import Any, Dict, Optional, Tuple

# Loopback only: never through a proxy from the environment.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def api(
    base_url: str, path: str, api_key: str, body: Optional[Dict[str, Any]] = None
) -> Tuple[int, Dict[str, str], Any]:
    """One API request as a client would make it: status, headers (names in lower case), JSON body (errors
    included)."""
    headers = {"Authorization": f"Bearer {api_key}"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    request = urllib.request.Request(base_url + path, data=data, headers=headers)
    try:
        with _OPENER.open(request, timeout=10) as response:
            return response.status, _lower(response.headers.items()), json.load(response)
    except urllib.error.HTTPError as err:
        with err:
            return err.code, _lower(err.headers.items()), json.loads(err.read())


def is_running(pid: int) -> bool:
    """Whether a process with this id exists (and is not a zombie)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _lower(headers: Any) -> Dict[str, str]:
    return {name.lower(): value for name, value in headers}
