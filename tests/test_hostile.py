"""Hostile requests (issue 17): a forged SCRIPT_NAME, junk addresses for the QR cache, bodies of any size,
a refused Host, CORS, the login's `next`, the session's length. Slow clients: tests/test_slow_clients.py."""

from __future__ import annotations

import re

import pytest

from recognition.http import answer_store

pytestmark = pytest.mark.django_db

NOTICE = "/notices/rstf-2026-1/"


def title(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)


# -- SCRIPT_NAME -----------------------------------------------------------------------------------------------


def test_a_script_name_never_poisons_the_kept_answers(client):
    """The attack of issue 17: SCRIPT_NAME=/notices/rstf-2026-1 and PATH_INFO=/ chose the home page, which was
    kept under /notices/rstf-2026-1/ and served to everyone asking for the notice."""
    notice_title = title(client.get(NOTICE))
    home_title = title(client.get("/"))
    answer_store.forget()
    for _ in range(12):
        forged = client.get("/", SCRIPT_NAME="/notices/rstf-2026-1")
        assert forged.status_code == 200
        assert title(forged) == home_title  # answered: it is the home page, whatever address it thinks it has
        assert "ETag" not in forged and forged["Cache-Control"] == "no-store"  # and no cache may keep it
    assert len(answer_store.store) == 0
    plain = client.get(NOTICE)
    assert title(plain) == notice_title
    assert title(client.get(NOTICE)) == notice_title  # kept now, and still the notice


def test_a_script_name_after_the_answer_is_kept_is_not_served_it_either(client):
    kept = client.get(NOTICE)
    forged = client.get("/", SCRIPT_NAME="/notices/rstf-2026-1")
    assert title(forged) != title(kept)
    assert forged.get("ETag") != kept["ETag"]


def test_the_etag_and_the_key_follow_what_chose_the_view_not_how_it_was_spelled(client):
    plain = client.get(NOTICE)
    spelled = client.get("/notices/rstf%2D2026-1/")  # the same PATH_INFO once decoded
    assert spelled.content == plain.content and spelled["ETag"] == plain["ETag"]
    assert len(answer_store.store) == 1


def test_a_prefix_the_site_is_configured_for_is_kept_as_usual(client, settings):
    settings.FORCE_SCRIPT_NAME = "/zhengshu"
    first = client.get("/")
    assert first.status_code == 200 and first["Cache-Control"].startswith("public")
    assert len(answer_store.store) == 1 and "ETag" in first
    # FORCE_SCRIPT_NAME wins over any SCRIPT_NAME a request brings.
    assert client.get("/", SCRIPT_NAME="/notices/rstf-2026-1").content == first.content
