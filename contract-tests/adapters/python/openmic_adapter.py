#!/usr/bin/env python3
"""An OpenMic calls client in plain Python (standard library only), behind the contract kit's adapter protocol.

The client is the small `OpenMicClient` class; the loop at the bottom is the adapter: it reads one JSON request
per line on stdin, calls the client, and writes one JSON answer per line on stdout (docs/client-adapter.md).
Check it with:

    openmic-contract client --adapter "python3 contract-tests/adapters/python/openmic_adapter.py"
"""

import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

KINDS = {400: "bad_request", 401: "unauthorized", 404: "not_found", 429: "rate_limited"}


class ApiError(Exception):
    """A failed request, with the kind the adapter protocol names."""

    def __init__(self, kind, status, message):
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.message = message
        self.retry_after = None


class OpenMicClient:
    """GET /v1/calls, GET /v1/call/{id}, a pagination helper, create-phone-call and a wait for a call's end."""

    def __init__(self, base_url, api_key, timeout=20):
        self.base_url = base_url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout

    def _get(self, path, params=None):
        url = self.base_url + path
        if params:
            # quote (not quote_plus) with safe="": `+`, `&`, `=`, `#`, `%`, `/` and spaces are all escaped.
            url += "?" + urllib.parse.urlencode(params, quote_via=urllib.parse.quote, safe="")
        request = urllib.request.Request(url, headers={
            "Authorization": "Bearer " + self.api_key,
            "Accept": "application/json",
        })
        return self._send(request)

    def _send(self, request):
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as error:
            status = error.code
            text = error.read().decode("utf-8", "replace")
            kind = KINDS.get(status, "server" if 500 <= status <= 599 else "other")
            api_error = ApiError(kind, status, text)
            api_error.retry_after = error.headers.get("Retry-After")
            raise api_error from None
        except (urllib.error.URLError, OSError) as error:
            raise ApiError("transport", None, str(error)) from None
        try:
            return json.loads(body)
        except ValueError as error:
            raise ApiError("other", 200, "undecodable body: %s" % error) from None

    def list_calls(self, params):
        return self._get("/v1/calls", params)

    def get_call(self, call_id):
        return self._get("/v1/call/" + urllib.parse.quote(call_id, safe=""))

    def create_call(self, params, max_retries=3):
        """One POST of exactly `params`. A 429 placed no call: retried after Retry-After. A 5xx or a dropped
        connection may have placed it: not retried (the phone would ring twice)."""
        body = json.dumps(params).encode("utf-8")
        for attempt in range(max_retries + 1):
            request = urllib.request.Request(self.base_url + "/v1/create-phone-call", data=body, method="POST", headers={
                "Authorization": "Bearer " + self.api_key,
                "Content-Type": "application/json",
                "Accept": "application/json",
            })
            try:
                return self._send(request)
            except ApiError as error:
                if error.kind != "rate_limited" or attempt == max_retries:
                    raise
                wait = error.retry_after or "1"
                time.sleep(min(float(wait), 60.0) if wait.isdigit() else 1.0)

    def wait_for_end(self, call_id, min_interval, timeout):
        """Polls the call no more often than every `min_interval` seconds until it is ended or error; gives up
        with a `deadline` error when the next poll would come after `timeout`."""
        started = time.monotonic()
        while True:
            call = self.get_call(call_id)
            if call.get("call_status") in ("ended", "error"):
                return call
            if time.monotonic() - started + min_interval > timeout:
                raise ApiError("deadline", None, "still %s after %.1f s" % (call.get("call_status"), timeout))
            time.sleep(min_interval)

    def list_all(self, params, max_pages=10000):
        params = dict(params)
        params.pop("offset", None)
        offset = 0
        calls = []
        for _ in range(max_pages):
            page = self.list_calls(dict(params, offset=offset))
            calls.extend(page["calls"])
            offset += len(page["calls"])
            if not page["pagination"]["has_more"] or not page["calls"]:
                return calls
        raise ApiError("other", None, "more than %d pages" % max_pages)


def answer(client, request):
    op = request.get("op")
    try:
        if op == "list_calls":
            return {"ok": client.list_calls(request.get("params", {}))}
        if op == "get_call":
            return {"ok": client.get_call(request["call_id"])}
        if op == "list_all":
            return {"ok": client.list_all(request.get("params", {}))}
        if op == "create_call":
            return {"ok": client.create_call(request["params"])}
        if op == "wait_for_end":
            return {"ok": client.wait_for_end(
                request["call_id"], request["min_interval_ms"] / 1000.0, request["timeout_ms"] / 1000.0)}
        return {"unsupported": True}
    except ApiError as error:
        return {"error": {"kind": error.kind, "status": error.status, "message": error.message}}


def main():
    client = OpenMicClient(os.environ["OPENMIC_BASE_URL"], os.environ["OPENMIC_API_KEY"])
    for line in sys.stdin:  # stdin closed: the loop ends and so does the adapter
        if not line.strip():
            continue
        request = json.loads(line)
        reply = answer(client, request)
        reply["id"] = request.get("id")
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
