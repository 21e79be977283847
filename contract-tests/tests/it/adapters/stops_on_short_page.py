#!/usr/bin/env python3
"""A deliberately broken adapter for the kit's own tests: the reference Python client, except that list_all
assumes pages of 100 when no page size is given and stops at the first page shorter than that (the server
serves 50 by default). `pagination_helper` must catch it and say so in one sentence."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "adapters", "python"))
import openmic_adapter  # noqa: E402


def list_all(self, params, max_pages=10000):
    params = dict(params)
    page_size = params.get("limit", 100)
    offset = 0
    calls = []
    for _ in range(max_pages):
        page = self.list_calls(dict(params, offset=offset))
        calls.extend(page["calls"])
        offset += len(page["calls"])
        if len(page["calls"]) < page_size:
            return calls
    return calls


openmic_adapter.OpenMicClient.list_all = list_all
openmic_adapter.main()
