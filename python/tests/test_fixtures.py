"""The plugin's fixtures as a project's tests use them: one mock for the session, a tenant for each test."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from helpers import api
from openmic_mock import AdminError, MockServer, Tenant

#: The embedded data set's size.
EMBEDDED = 300


def test_a_test_lists_calls_through_urllib(openmic_mock: Tenant) -> None:
    status, _, page = api(openmic_mock.base_url, "/v1/calls?limit=5", openmic_mock.api_key)
    assert status == 200
    assert page["pagination"] == {"limit": 5, "offset": 0, "total": EMBEDDED, "has_more": True}
    first = page["calls"][0]
    status, _, call = api(openmic_mock.base_url, f"/v1/call/{first['call_id']}", openmic_mock.api_key)
    assert (status, call) == (200, first)


def test_a_scripted_429_is_answered_then_read_back_from_this_tests_journal(openmic_mock: Tenant) -> None:
    openmic_mock.push_fault({"status": 429, "retry_after": 2})
    status, headers, body = api(openmic_mock.base_url, "/v1/calls", openmic_mock.api_key)
    assert status == 429
    assert headers["retry-after"] == "2"
    assert body["retryAfter"] == 2
    status, _, _ = api(openmic_mock.base_url, "/v1/calls?offset=50", openmic_mock.api_key)
    assert status == 200
    seen = [(r["status"], r["raw_query"], r["fault"]) for r in openmic_mock.requests()]
    assert seen == [(429, None, {"status": 429, "retry_after": 2}), (200, "offset=50", None)]
    assert [r["status"] for r in openmic_mock.requests(status=429)] == [429]
    assert openmic_mock.requests(path="/v1/call/*") == []


def change_everything(tenant: Tenant, server: MockServer, marker: str) -> None:
    """Asserts the tenant starts from the startup data with nothing scripted, then changes its data, faults
    and outcomes; whichever test runs second fails here if the first one's changes leaked."""
    ids = [c["call_id"] for c in tenant.calls()]
    assert len(ids) == EMBEDDED
    assert not [i for i in ids if i.startswith("changed-by-")]
    assert tenant.faults()["next"] == []
    assert tenant.outcomes() == []
    assert tenant.requests() == []

    template: Dict[str, Any] = tenant.calls()[0]
    assert tenant.remove_call(ids[0]) == EMBEDDED - 1
    assert tenant.add_calls({**template, "call_id": f"changed-by-{marker}"}) == EMBEDDED
    tenant.push_fault({"status": 503, "times": None, "path": "/v1/call/*"})
    tenant.push_outcomes({"status": "error"})
    assert api(tenant.base_url, "/v1/calls?limit=1", tenant.api_key)[0] == 200
    assert api(tenant.base_url, f"/v1/call/{ids[1]}", tenant.api_key)[0] == 503

    # The session's own data and key are untouched.
    assert len(server.calls()) == EMBEDDED
    assert api(server.base_url, f"/v1/call/{ids[0]}", server.api_key)[0] == 200
    assert server.faults()["next"] == []


def test_two_tests_that_change_data_do_not_see_each_others_changes_a(
    openmic_mock: Tenant, openmic_mock_server: MockServer
) -> None:
    change_everything(openmic_mock, openmic_mock_server, "a")


def test_two_tests_that_change_data_do_not_see_each_others_changes_b(
    openmic_mock: Tenant, openmic_mock_server: MockServer
) -> None:
    change_everything(openmic_mock, openmic_mock_server, "b")


def test_each_test_has_its_own_key_and_the_last_ones_is_gone(
    openmic_mock: Tenant, openmic_mock_server: MockServer
) -> None:
    tenants = openmic_mock_server.tenants()
    assert [t["api_key"] for t in tenants] == [openmic_mock.api_key]
    assert openmic_mock.api_key != openmic_mock_server.api_key


def test_admin_errors_raise_with_the_mocks_message(openmic_mock: Tenant) -> None:
    with pytest.raises(AdminError) as missing:
        openmic_mock.remove_call("no-such-call")
    assert missing.value.status == 404
    assert str(missing.value) == 'no call with call_id "no-such-call"'

    with pytest.raises(AdminError) as invalid:
        openmic_mock.set_calls([{"call_id": "half-a-call"}])
    assert invalid.value.status == 400
    assert "field `call_type`: required field is missing" in str(invalid.value)
    assert invalid.value.body["problems"]
    assert len(openmic_mock.calls()) == EMBEDDED, "a refused change changes nothing"

    with pytest.raises(AdminError) as fault:
        openmic_mock.push_fault({"kind": "explode"})
    assert str(fault.value) == '`fault.kind` must be one of "reset", "timeout", "malformed", got "explode"'

    with pytest.raises(AdminError) as clock:
        openmic_mock.advance(1000)
    assert clock.value.status == 409
    assert "--clock virtual" in str(clock.value)


def test_upsert_and_set_calls_change_only_this_tests_data(
    openmic_mock: Tenant, openmic_mock_server: MockServer
) -> None:
    first = openmic_mock.calls()[0]
    assert openmic_mock.upsert_call({**first, "customer_id": "cus_changed"}) is True
    assert openmic_mock.upsert_call({**first, "call_id": "brand-new"}) is False
    by_id = {c["call_id"]: c for c in openmic_mock.calls()}
    assert by_id[first["call_id"]]["customer_id"] == "cus_changed"
    assert "brand-new" in by_id
    with pytest.raises(AdminError) as duplicate:
        openmic_mock.add_calls([first])
    assert duplicate.value.status == 409
    assert openmic_mock.set_calls([first]) == 1
    status, _, page = api(openmic_mock.base_url, "/v1/calls", openmic_mock.api_key)
    assert (status, page["pagination"]["total"]) == (200, 1)
    assert openmic_mock.reset() == EMBEDDED
    assert len(openmic_mock_server.calls()) == EMBEDDED


def test_a_tests_faults_never_reach_another_key(openmic_mock: Tenant, openmic_mock_server: MockServer) -> None:
    openmic_mock.set_faults({"error_rate": 1, "error_status": 502})
    assert api(openmic_mock.base_url, "/v1/calls", openmic_mock.api_key)[0] == 502
    assert api(openmic_mock_server.base_url, "/v1/calls", openmic_mock_server.api_key)[0] == 200
    with openmic_mock_server.tenant() as neighbour:
        assert api(neighbour.base_url, "/v1/calls", neighbour.api_key)[0] == 200
        assert neighbour.requests() and all(r["status"] == 200 for r in neighbour.requests())
    assert openmic_mock.clear_faults()["error_rate"] == 0
    assert api(openmic_mock.base_url, "/v1/calls", openmic_mock.api_key)[0] == 200
    assert [r["status"] for r in openmic_mock.requests()] == [502, 200]
