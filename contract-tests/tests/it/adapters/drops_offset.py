#!/usr/bin/env python3
"""A deliberately broken adapter for the kit's own tests: the reference Python client, except that
list_calls drops `offset` (so list_all also never advances). `encoding` must catch it."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "adapters", "python"))
import openmic_adapter  # noqa: E402

_list_calls = openmic_adapter.OpenMicClient.list_calls


def list_calls(self, params):
    params = {k: v for k, v in params.items() if k != "offset"}
    return _list_calls(self, params)


openmic_adapter.OpenMicClient.list_calls = list_calls
openmic_adapter.main()
