#!/usr/bin/env python3
"""A typed client for the kit's own tests, in the style of a generated SDK: it takes `from_date`/`to_date` as
`datetime` objects and formats them back with microseconds and a `Z` (`2020-09-13T12:26:40.001000Z` where the
kit asked for `2020-09-13T12:26:40.001Z`). Same instant, another RFC 3339 spelling: it must pass `encoding`."""

import os
import sys
from datetime import datetime, timezone

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "adapters", "python"))
import openmic_adapter  # noqa: E402

_list_calls = openmic_adapter.OpenMicClient.list_calls


def to_datetime(text):
    """What a typed SDK keeps of a date parameter: an aware datetime (microsecond precision)."""
    if len(text) == 10:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    return datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))


def format_datetime(value):
    """How it writes one on the wire: UTC, six fraction digits, a `Z`."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def list_calls(self, params):
    params = dict(params)
    for name in ("from_date", "to_date"):
        if name in params:
            try:
                params[name] = format_datetime(to_datetime(params[name]))
            except ValueError as error:  # a typed SDK refuses a non-date before sending anything
                raise openmic_adapter.ApiError("bad_request", None, "%s: %s" % (name, error)) from None
    return _list_calls(self, params)


openmic_adapter.OpenMicClient.list_calls = list_calls
openmic_adapter.main()
