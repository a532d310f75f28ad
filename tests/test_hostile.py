"""Hostile requests (issue 17): a forged SCRIPT_NAME, junk addresses for the QR cache, bodies of any size,
a refused Host, CORS, the login's `next`, the session's length. Slow clients: tests/test_slow_clients.py."""

from __future__ import annotations

import re
import tracemalloc

import pytest

from recognition.http import answer_store
from recognition.site import views

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


# -- the QR code cache -----------------------------------------------------------------------------------------


def test_the_qr_codes_kept_are_bounded_in_bytes_not_in_addresses(settings):
    settings.QR_CACHE_MB = 0.0625
    budget = 0.0625 * 1024 * 1024

    def junk(batch: int) -> None:  # 60 distinct addresses, four times what the budget holds
        for n in range(60):
            views.qr_svg(f"http://testserver/?held=building-welder&x={batch}{n:06d}{'a' * 60}")

    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        junk(1)
        full = tracemalloc.get_traced_memory()[0]
        junk(2)  # as many again: the oldest go, and nothing more is held
        again = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert 0 < views.qr_svg.size <= budget
    assert len(views.qr_svg) < 30
    assert full - start < budget * 1.5, full - start  # what Python holds (segno's own work included)
    assert again - full < budget * 0.1, again - full
    first = views.qr_svg("http://testserver/")
    assert views.qr_svg("http://testserver/") is first  # a kept code is served again


def test_a_qr_code_larger_than_the_whole_budget_is_made_but_not_kept(settings):
    settings.QR_CACHE_MB = 0.001
    views.qr_svg.cache_clear()
    assert "<svg" in views.qr_svg("http://testserver/?held=building-welder")
    assert len(views.qr_svg) == 0
