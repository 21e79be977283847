"""Bots and phone numbers through the admin methods, on a tenant and on the server, checked against what the API
then serves."""

from __future__ import annotations

from typing import Any, Dict

import pytest

from helpers import api
from openmic_mock import AdminError, MockServer, Tenant

NEW_BOT: Dict[str, Any] = {
    "uid": "pybot0000000000000000001",
    "name": "Python Test Bot",
    "prompt": "You answer questions about the test suite.",
    "call_settings": {"max_call_duration": 5},
    "created_at": "2026-01-15T09:00:00.000Z",
    "updated_at": "2026-01-15T09:00:00.000Z",
}


def new_number(agent: str) -> Dict[str, Any]:
    return {
        "phone_number_id": "pynum000000000000000001",
        "phone_number": "+15557654321",
        "name": "Python Test Line",
        "inbound_agent_id": agent,
        "outbound_agent_id": None,
        "created_at": "2026-01-15T09:00:00.000Z",
        "updated_at": "2026-01-15T09:00:00.000Z",
    }


def test_bots_are_the_ones_the_api_lists_and_every_calls_agent_is_one(openmic_mock: Tenant) -> None:
    bots = openmic_mock.bots()
    assert bots
    status, _, page = api(openmic_mock.base_url, "/v1/bots?limit=100", openmic_mock.api_key)
    assert status == 200
    assert page["bots"] == bots[:100]
    uids = {b["uid"] for b in bots}
    assert {c["agent_id"] for c in openmic_mock.calls()} <= uids


def test_a_bot_upserted_is_served_then_replaced_then_removed(openmic_mock: Tenant) -> None:
    before = len(openmic_mock.bots())
    assert openmic_mock.upsert_bot(NEW_BOT) is False
    status, _, bot = api(openmic_mock.base_url, f"/v1/bots/{NEW_BOT['uid']}", openmic_mock.api_key)
    assert (status, bot) == (200, NEW_BOT)
    assert openmic_mock.upsert_bot({**NEW_BOT, "name": "Renamed"}) is True
    assert [b["name"] for b in openmic_mock.bots() if b["uid"] == NEW_BOT["uid"]] == ["Renamed"]
    assert openmic_mock.remove_bot(NEW_BOT["uid"]) == before
    status, _, body = api(openmic_mock.base_url, f"/v1/bots/{NEW_BOT['uid']}", openmic_mock.api_key)
    assert (status, body) == (404, {"error": "Bot with the specified UID was not found."})


def test_set_bots_replaces_them_all(openmic_mock: Tenant) -> None:
    bots = openmic_mock.bots()
    assert openmic_mock.set_bots([*bots, NEW_BOT]) == len(bots) + 1
    assert NEW_BOT["uid"] in {b["uid"] for b in openmic_mock.bots()}


def test_refused_bots_raise_admin_error_naming_the_field(openmic_mock: Tenant) -> None:
    with pytest.raises(AdminError) as refused:
        openmic_mock.upsert_bot({**NEW_BOT, "call_settings": {"max_call_duration": 31}})
    assert refused.value.status == 400
    assert "max_call_duration" in str(refused.value)
    with pytest.raises(AdminError) as unknown:
        openmic_mock.remove_bot("no-such-bot")
    assert unknown.value.status == 404
    with pytest.raises(ValueError):
        openmic_mock.upsert_bot({"name": "no uid"})


def test_a_phone_number_upserted_is_served_and_answers_its_inbound_calls(openmic_mock: Tenant) -> None:
    numbers = openmic_mock.phone_numbers()
    assert numbers
    agent = openmic_mock.bots()[0]["uid"]
    number = new_number(agent)
    assert openmic_mock.upsert_phone_number(number) is False
    status, _, served = api(
        openmic_mock.base_url, f"/v1/phone-numbers/{number['phone_number_id']}", openmic_mock.api_key
    )
    assert (status, served) == (200, number)
    call = openmic_mock.inbound_call("+15551230000", number["phone_number"])
    assert call["agent_id"] == agent
    assert openmic_mock.upsert_phone_number({**number, "name": "Renamed"}) is True
    assert openmic_mock.remove_phone_number(number["phone_number_id"]) == len(numbers)
    with pytest.raises(AdminError) as unknown:
        openmic_mock.remove_phone_number(number["phone_number_id"])
    assert unknown.value.status == 404


def test_set_phone_numbers_replaces_them_all_and_refuses_an_unknown_agent(openmic_mock: Tenant) -> None:
    numbers = openmic_mock.phone_numbers()
    agent = openmic_mock.bots()[0]["uid"]
    assert openmic_mock.set_phone_numbers([*numbers, new_number(agent)]) == len(numbers) + 1
    with pytest.raises(AdminError) as refused:
        openmic_mock.set_phone_numbers([new_number("no-such-bot")])
    assert refused.value.status == 400
    assert len(openmic_mock.phone_numbers()) == len(numbers) + 1


def test_a_tenants_bots_and_numbers_are_its_own(openmic_mock: Tenant, openmic_mock_server: MockServer) -> None:
    server_bots = openmic_mock_server.bots()
    server_numbers = openmic_mock_server.phone_numbers()
    openmic_mock.upsert_bot(NEW_BOT)
    openmic_mock.upsert_phone_number(new_number(NEW_BOT["uid"]))
    assert openmic_mock_server.bots() == server_bots
    assert openmic_mock_server.phone_numbers() == server_numbers
    openmic_mock.reset()
    assert openmic_mock.bots() == server_bots
    assert openmic_mock.phone_numbers() == server_numbers
