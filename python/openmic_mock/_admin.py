"""The admin API of a running mock, one method per route: the errors it raises, the methods a server and a
tenant share, and :class:`Tenant`.

Standard library only: ``urllib`` for HTTP, ``json`` for bodies. Every request that changes something says
``Content-Type: application/json``, as the admin API requires, and proxies from the environment are never
used (the mock is on loopback).
"""

from __future__ import annotations

import abc
import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

__all__ = ["AdminError", "OpenMicMockError", "StartError", "Tenant"]

#: A call, as the API serves it: the vendor's JSON object.
Call = Dict[str, Any]

#: A bot (agent), as ``GET /v1/bots`` serves it: the vendor's ``BotResponse``.
Bot = Dict[str, Any]

#: A phone number, as ``GET /v1/phone-numbers`` serves it: the vendor's ``PhoneNumberResponse``.
PhoneNumber = Dict[str, Any]

# No proxy handler: an HTTP_PROXY in the environment must not route loopback requests through a proxy.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

#: The largest page the admin API serves (``GET /__admin/calls`` and ``GET /__admin/requests``).
_PAGE = 1000


class OpenMicMockError(Exception):
    """Base class of every error raised by this package."""


class AdminError(OpenMicMockError):
    """The admin API refused a request. ``str(error)`` is the mock's own message, which names the field or value
    at fault; ``status``, ``error`` (the body's ``error``) and ``body`` (the whole JSON body, with ``problems``
    for refused calls) say the rest."""

    def __init__(
        self, method: str, path: str, status: int, error: str, message: str, body: Any
    ) -> None:
        super().__init__(message)
        self.method = method
        self.path = path
        self.status = status
        self.error = error
        self.message = message
        self.body = body

    def __repr__(self) -> str:
        return f"AdminError({self.method} {self.path}: {self.status} {self.error!r}: {self.message!r})"


class StartError(OpenMicMockError):
    """The mock did not start, or did not answer once started. The message is what the mock printed on stderr
    (for a bad fixture file, every problem with its line and column) and its exit code."""

    def __init__(self, message: str, exit_code: Optional[int] = None, stderr: str = "") -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.stderr = stderr


def _quote(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")


def _count(answer: Any, key: str) -> int:
    """How many items an answer says the data set has: ``{key: N}``."""
    return int(answer[key])


class _AdminApi(abc.ABC):
    """The admin methods a :class:`~openmic_mock.MockServer` and a :class:`Tenant` share. ``_scope`` is where
    data, faults, outcomes and reset live (``/__admin`` or ``/__admin/tenants/{key}``); ``_journal_key`` limits
    :meth:`requests` to one key's requests."""

    _scope: str = "/__admin"
    _journal_key: Optional[str] = None
    _admin_key: Optional[str] = None
    #: Seconds an admin request may take (a large ``set_calls`` is parsed and indexed before the answer).
    admin_timeout: float = 60.0

    @property
    @abc.abstractmethod
    def base_url(self) -> str:
        """The mock's address, such as ``http://127.0.0.1:41234`` (no trailing slash)."""

    @property
    @abc.abstractmethod
    def api_key(self) -> str:
        """The API key to send as ``Authorization: Bearer <key>``."""

    def _unreachable(self, reason: object) -> OpenMicMockError:
        return OpenMicMockError(f"cannot reach openmic-mock at {self.base_url}: {reason}")

    def _admin(
        self,
        method: str,
        path: str,
        body: Any = None,
        query: Optional[Mapping[str, Union[str, int]]] = None,
    ) -> Any:
        """One admin request; the answer's JSON, or :class:`AdminError` with the mock's message."""
        url = self.base_url + path
        if query:
            url += "?" + urllib.parse.urlencode(query)
        headers = {"Accept": "application/json"}
        if method != "GET":
            headers["Content-Type"] = "application/json"
        if self._admin_key is not None:
            headers["Authorization"] = f"Bearer {self._admin_key}"
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with _OPENER.open(request, timeout=self.admin_timeout) as response:
                raw = response.read()
        except urllib.error.HTTPError as err:
            raw = err.read()
            err.close()
            try:
                answer = json.loads(raw)
                error, message = str(answer["error"]), str(answer["message"])
            except (ValueError, KeyError, TypeError):
                answer = raw.decode("utf-8", "replace")
                error, message = err.reason or "", answer or f"HTTP {err.code}"
            raise AdminError(method, path, err.code, error, message, answer) from None
        except (urllib.error.URLError, OSError) as err:
            reason = getattr(err, "reason", err)
            raise self._unreachable(reason) from err
        return json.loads(raw) if raw else None

    # Data

    def calls(self) -> List[Call]:
        """Every call of the data set, in the API's order (newest first), read a page of 1,000 at a time."""
        calls: List[Call] = []
        while True:
            page = self._admin(
                "GET", f"{self._scope}/calls", query={"limit": _PAGE, "offset": len(calls)}
            )
            calls.extend(page["calls"])
            if not page["pagination"]["has_more"] or not page["calls"]:
                return calls

    def set_calls(self, calls: Iterable[Mapping[str, Any]]) -> int:
        """Replaces the data set with ``calls`` (all are checked first: on a problem nothing changes and
        :class:`AdminError` lists every problem). Returns how many calls it now has."""
        return int(self._admin("PUT", f"{self._scope}/calls", list(calls))["calls"])

    def add_calls(self, calls: Union[Mapping[str, Any], Iterable[Mapping[str, Any]]]) -> int:
        """Adds one call or several, all or none (a ``call_id`` already served is a 409 :class:`AdminError`).
        Returns how many calls the data set now has."""
        body = dict(calls) if isinstance(calls, Mapping) else list(calls)
        return int(self._admin("POST", f"{self._scope}/calls", body)["calls"])

    def upsert_call(self, call: Mapping[str, Any]) -> bool:
        """Inserts ``call``, or replaces the call with its ``call_id``. Returns whether it replaced one."""
        call_id = call.get("call_id")
        if not isinstance(call_id, str):
            raise ValueError(f"upsert_call needs a call with a string call_id, got {call_id!r}")
        answer = self._admin("PUT", f"{self._scope}/calls/{_quote(call_id)}", dict(call))
        return bool(answer["replaced"])

    def remove_call(self, call_id: str) -> int:
        """Removes one call (an unknown id is a 404 :class:`AdminError`). Returns how many calls remain."""
        return int(self._admin("DELETE", f"{self._scope}/calls/{_quote(call_id)}")["calls"])

    # Bots and phone numbers (the account the calls belong to)

    def bots(self) -> List[Bot]:
        """Every bot of the data set, in ``GET /v1/bots`` order (newest first), deleted ones left out."""
        return list(self._admin("GET", f"{self._scope}/bots")["bots"])

    def set_bots(self, bots: Iterable[Mapping[str, Any]]) -> int:
        """Replaces every bot of the data set with ``bots`` (the vendor's ``BotResponse`` objects, each with
        ``uid``, ``name``, ``prompt``, ``created_at`` and ``updated_at``; all are checked first: on a problem
        nothing changes and :class:`AdminError` names the index and field of each). Returns how many bots it now
        has."""
        return _count(self._admin("PUT", f"{self._scope}/bots", {"bots": list(bots)}), "bots")

    def upsert_bot(self, bot: Mapping[str, Any]) -> bool:
        """Inserts ``bot``, or replaces the bot with its ``uid``. Returns whether it replaced one."""
        uid = bot.get("uid")
        if not isinstance(uid, str):
            raise ValueError(f"upsert_bot needs a bot with a string uid, got {uid!r}")
        answer = self._admin("PUT", f"{self._scope}/bots/{_quote(uid)}", dict(bot))
        return bool(answer["replaced"])

    def remove_bot(self, uid: str) -> int:
        """Removes one bot, even one in use (the API's 409 is for clients, not for tests); an unknown uid is a
        404 :class:`AdminError`. Returns how many bots remain."""
        return _count(self._admin("DELETE", f"{self._scope}/bots/{_quote(uid)}"), "bots")

    def phone_numbers(self) -> List[PhoneNumber]:
        """Every phone number of the data set, in ``GET /v1/phone-numbers`` order (newest first)."""
        return list(self._admin("GET", f"{self._scope}/phone-numbers")["phone_numbers"])

    def set_phone_numbers(self, numbers: Iterable[Mapping[str, Any]]) -> int:
        """Replaces every phone number of the data set (the vendor's ``PhoneNumberResponse`` objects; all are
        checked first, a linked agent must be one of the bots). Returns how many numbers it now has."""
        body = {"phone_numbers": list(numbers)}
        return _count(self._admin("PUT", f"{self._scope}/phone-numbers", body), "phone_numbers")

    def upsert_phone_number(self, number: Mapping[str, Any]) -> bool:
        """Inserts ``number``, or replaces the number with its ``phone_number_id``. Returns whether it replaced
        one."""
        number_id = number.get("phone_number_id")
        if not isinstance(number_id, str):
            raise ValueError(
                f"upsert_phone_number needs a number with a string phone_number_id, got {number_id!r}"
            )
        answer = self._admin("PUT", f"{self._scope}/phone-numbers/{_quote(number_id)}", dict(number))
        return bool(answer["replaced"])

    def remove_phone_number(self, phone_number_id: str) -> int:
        """Removes one phone number (an unknown id is a 404 :class:`AdminError`). Returns how many remain."""
        answer = self._admin("DELETE", f"{self._scope}/phone-numbers/{_quote(phone_number_id)}")
        return _count(answer, "phone_numbers")

    # Journal

    def requests(self, path: Optional[str] = None, status: Optional[int] = None) -> List[Dict[str, Any]]:
        """The API requests the mock received, oldest first, as ``GET /__admin/requests`` shows them
        (``method``, ``path``, ``query``, ``headers``, ``status``, ``fault``...). ``path`` is exact, or a prefix
        with a trailing ``*``; ``status`` 0 finds requests that got no answer. Only what the journal still
        holds (``--journal-size``, 1,000 by default)."""
        query: Dict[str, Union[str, int]] = {"limit": _PAGE, "after": 0}
        if path is not None:
            query["path"] = path
        if status is not None:
            query["status"] = status
        if self._journal_key is not None:
            query["api_key"] = self._journal_key
        entries: List[Dict[str, Any]] = []
        while True:
            page = self._admin("GET", "/__admin/requests", query=query)
            entries.extend(page["requests"])
            if not page["has_more"] or not page["requests"]:
                return entries
            query["after"] = page["requests"][-1]["seq"]

    # Faults

    def faults(self) -> Dict[str, Any]:
        """The fault configuration, with what remains of the ``next`` queue."""
        return dict(self._admin("GET", f"{self._scope}/faults"))

    def set_faults(self, faults: Mapping[str, Any]) -> Dict[str, Any]:
        """Replaces the fault configuration (``latency_ms``, ``error_rate``, ``error_status``, ``next``,
        ``seed``; see docs/control-plane.md). Returns it as the mock now holds it."""
        return dict(self._admin("PUT", f"{self._scope}/faults", dict(faults)))

    def push_fault(self, fault: Mapping[str, Any]) -> Dict[str, Any]:
        """Queues one scripted fault for the next API request that matches it, such as
        ``{"status": 429, "retry_after": 2}`` or ``{"kind": "reset", "path": "/v1/calls"}``. Returns the fault
        configuration."""
        return dict(self._admin("POST", f"{self._scope}/faults/next", dict(fault)))

    def clear_faults(self) -> Dict[str, Any]:
        """Injects no more faults. Returns the (empty) configuration."""
        return dict(self._admin("DELETE", f"{self._scope}/faults"))

    # Created calls

    def push_outcomes(self, outcomes: Union[Mapping[str, Any], Iterable[Mapping[str, Any]]]) -> int:
        """Queues how the next calls created with ``POST /v1/create-phone-call`` play out (``status``,
        ``ring_ms``, ``talk_ms``, ``to_number``...; see docs/time.md). Returns how many are queued."""
        body = dict(outcomes) if isinstance(outcomes, Mapping) else list(outcomes)
        return int(self._admin("POST", f"{self._scope}/outcomes", body)["queued"])

    def outcomes(self) -> List[Dict[str, Any]]:
        """The outcomes still queued, in order."""
        return list(self._admin("GET", f"{self._scope}/outcomes")["outcomes"])

    def clear_outcomes(self) -> int:
        """Empties the outcome queue. Returns how many were dropped."""
        return int(self._admin("DELETE", f"{self._scope}/outcomes")["cleared"])

    # Webhooks (docs/webhooks.md)

    def webhooks(self) -> Dict[str, Any]:
        """Where this data set's webhooks go: ``{"post_call_url", "pre_call_url", "direction"}``."""
        return dict(self._admin("GET", f"{self._scope}/webhooks"))

    def set_webhooks(
        self,
        post_call_url: Optional[str] = None,
        pre_call_url: Optional[str] = None,
        direction: str = "both",
    ) -> Dict[str, Any]:
        """Sends this data set's ``end-of-call-report``s to ``post_call_url`` and asks ``pre_call_url`` before a
        call of ``direction`` (``inbound``, ``outbound`` or ``both``) rings; ``None`` turns one off. Replaces the
        whole configuration and returns it; a URL the mock cannot call is a 400 :class:`AdminError`."""
        body = {"post_call_url": post_call_url, "pre_call_url": pre_call_url, "direction": direction}
        return dict(self._admin("PUT", f"{self._scope}/webhooks", body))

    def clear_webhooks(self) -> Dict[str, Any]:
        """Turns this data set's webhooks off. Returns the (empty) configuration."""
        return dict(self._admin("DELETE", f"{self._scope}/webhooks"))

    def send_webhook(self, call_id: str) -> Dict[str, Any]:
        """Sends the ``end-of-call-report`` of a finished call (``ended`` or ``error``) to the post-call URL now,
        and returns the attempt as the deliveries journal keeps it (``ok``, ``status``, ``error``, ``body``...).
        A call that has not finished, or no post-call URL, is a 409 :class:`AdminError`; an unknown call a 404."""
        return dict(self._admin("POST", f"{self._scope}/webhooks/send", {"call_id": call_id}))

    def inbound_call(self, from_number: str, to_number: str, agent_id: Optional[str] = None) -> Call:
        """A customer at ``from_number`` rings the account's ``to_number``: a created inbound call that plays
        out on the clock, pre-call and post-call webhooks included. Returns it as Get Call shows it now."""
        body: Dict[str, Any] = {"from_number": from_number, "to_number": to_number}
        if agent_id is not None:
            body["agent_id"] = agent_id
        return dict(self._admin("POST", f"{self._scope}/inbound-calls", body))

    def webhook_deliveries(self, call_id: Optional[str] = None, kind: Optional[str] = None) -> List[Dict[str, Any]]:
        """Every webhook attempt the mock's journal keeps (all data sets), oldest first, optionally only those of
        one call or one ``kind`` (``post-call``, ``callback``, ``pre-call``)."""
        query: Dict[str, Union[str, int]] = {"limit": _PAGE, "after": 0}
        if call_id is not None:
            query["call_id"] = call_id
        if kind is not None:
            query["kind"] = kind
        entries: List[Dict[str, Any]] = []
        while True:
            page = self._admin("GET", "/__admin/webhooks/deliveries", query=query)
            entries.extend(page["deliveries"])
            if not page["has_more"] or not page["deliveries"]:
                return entries
            query["after"] = page["next_after"]

    # The clock (one per server)

    def now(self) -> int:
        """The mock's time, in Unix milliseconds."""
        return int(self._admin("GET", "/__admin/clock")["now"])

    def advance(self, ms: int) -> int:
        """Moves a virtual clock (``clock="virtual"``) forward by ``ms`` milliseconds; created calls, rate-limit
        buckets and journal times follow, and every webhook due on the way has been sent and answered when it
        returns. Returns the new time. On a real clock: a 409 :class:`AdminError`."""
        return int(self._admin("POST", "/__admin/clock/advance", {"ms": ms})["now"])


class Tenant(_AdminApi):
    """A test's own corner of a running mock: an API key whose requests see a data set of their own (a copy of
    the server's startup data set), faults of their own and outcomes of their own. Every method of
    :class:`~openmic_mock.MockServer`'s admin API works the same way here, scoped to this key; :meth:`requests`
    returns only this key's requests. The clock is the server's: :meth:`advance` moves it for everyone.

    Made by :meth:`MockServer.tenant() <openmic_mock.MockServer.tenant>` (or the ``openmic_mock`` pytest
    fixture); :meth:`delete` (or leaving a ``with`` block) removes it, and its key stops being valid.
    """

    def __init__(self, server: _AdminApi, api_key: str) -> None:
        self._server = server
        self._key = api_key
        self._scope = f"/__admin/tenants/{_quote(api_key)}"
        self._journal_key = api_key
        self._admin_key = server._admin_key
        self.admin_timeout = server.admin_timeout

    def __repr__(self) -> str:
        return f"Tenant(base_url={self.base_url!r}, api_key={self._key!r})"

    @property
    def base_url(self) -> str:
        """The mock's address (the server's)."""
        return self._server.base_url

    @property
    def api_key(self) -> str:
        """This tenant's API key: requests with it see only this tenant's data and faults."""
        return self._key

    @property
    def server(self) -> _AdminApi:
        """The server this tenant lives on."""
        return self._server

    def _unreachable(self, reason: object) -> OpenMicMockError:
        return self._server._unreachable(reason)

    def reset(self) -> int:
        """A fresh copy of the server's startup data set; no faults of its own, none of its requests in the
        journal, no created calls or queued outcomes, a full rate-limit bucket. Returns how many calls it has.
        Nothing of any other key changes."""
        return int(self._admin("POST", f"{self._scope}/reset")["calls"])

    def clear_faults(self) -> Dict[str, Any]:
        """Drops this tenant's own faults: from now on the server-wide faults (none unless someone set them)
        apply to its requests again."""
        return super().clear_faults()

    def delete(self) -> None:
        """Removes the tenant: its data and faults are gone and its key stops being valid. Removing it twice
        is not an error."""
        try:
            self._admin("DELETE", self._scope)
        except AdminError as err:
            if err.status != 404:
                raise

    def __enter__(self) -> "Tenant":
        return self

    def __exit__(self, *exc: object) -> None:
        self.delete()
