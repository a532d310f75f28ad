"""The stores keyed on request input stay within their stated bounds after 10,000 junk addresses (issue 17).

README: the kept answers are bounded by PUBLIC_PAGE_CACHE_MB (32 MB a worker) and the printed pages' QR codes
by QR_CACHE_MB (8 MB a worker). A hostile client picks the addresses, so it sends as many distinct ones as it
likes that still reach the stores: valid questions with every valid value (any day up to 2099, every region,
any search words), the parameters WeChat adds (redirected to an address that is then kept), and
padding (redirected before anything is kept). Each store's size is read from its own accounting and measured
independently, object by object with sys.getsizeof, at the defaults the README states.
"""

from __future__ import annotations

import datetime
import itertools
import sys
import time
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.test import Client

from recognition.http import answer_store
from recognition.rules import snapshot
from recognition.site import views
from tests.text import qr_image_address

pytestmark = pytest.mark.django_db

MB = 1024 * 1024


def deep_size(root: object) -> int:
    """Bytes Python holds for `root` and everything it contains (each object once), by sys.getsizeof."""
    seen: set[int] = set()
    total = 0
    stack = [root]
    while stack:
        item = stack.pop()
        if id(item) in seen:
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, tuple | list):
            stack.extend(item)
    return total


def questions() -> itertools.cycle:
    """(held, region) pairs in the form's order: every combination of certificates in every region."""
    book = snapshot.current_rules()
    slugs = book.picker_order
    combinations = [
        combo for size in range(1, len(slugs) + 1) for combo in itertools.combinations(slugs, size)
    ]  # combinations keep the picker's order, as the canonical address does
    regions = [None, *book.provinces]
    return itertools.cycle(itertools.product(combinations, regions))


def days() -> itertools.count:
    start = datetime.date(2027, 1, 1)  # after 1号 took effect: every answer is full size
    return (start + datetime.timedelta(days=n) for n in itertools.count())


def lookup_query(held: tuple[str, ...], region: str | None, day: datetime.date) -> str:
    pairs = [f"held={slug}" for slug in held] + ([f"region={region}"] if region else []) + [f"on={day}"]
    return "&".join(pairs)


def ask(client: Client, path: str, status: int = 200, **headers) -> object:
    response = client.get(path, **headers)
    assert response.status_code == status, (path, response.status_code)
    return response


def printed_with_its_qr_code(client: Client, response) -> object:
    """The page's QR code asked as the browser asks it: the image its footer names."""
    ask(client, qr_image_address(response.content.decode()))
    return response


@pytest.mark.slow
def test_the_stores_stay_within_their_stated_bounds_after_10000_junk_addresses():
    assert settings.PUBLIC_PAGE_CACHE_MB == 32 and settings.QR_CACHE_MB == 8  # the bounds the README states
    client = Client()
    pairs, day = questions(), days()
    slugs = itertools.cycle(snapshot.current_rules().picker_order)
    offered_answers = offered_codes = 0
    started = time.monotonic()

    # 2,000 matrices (the largest API answer), each for its own day.
    for _ in range(2000):
        offered_answers += len(ask(client, f"/api/v1/matrix?on={next(day)}").content)
    # 1,000 QR codes asked for directly, for addresses no page was asked for.
    for _ in range(1000):
        ask(client, "/qr.svg?" + urlencode({"u": "/?" + lookup_query(*next(pairs), next(day))}))
    offered_codes += 1000
    # 2,800 lookups: every combination in every region, each on its own day.
    for _ in range(2800):
        offered_answers += len(ask(client, "/api/v1/lookup?" + lookup_query(*next(pairs), next(day))).content)
    # 1,000 searches, any words a client types.
    for n in range(1000):
        offered_answers += len(ask(client, f"/certificates/?q=证{n:05d}").content)
    # 1,400 results (the HTMX fragment) and 300 certificate pages, each with its QR code (an image of its own).
    for _ in range(1400):
        response = ask(client, "/?" + lookup_query(*next(pairs), next(day)), HTTP_HX_REQUEST="true")
        offered_answers += len(printed_with_its_qr_code(client, response).content)
    for _ in range(300):
        response = ask(client, f"/certificates/{next(slugs)}/?on={next(day)}")
        offered_answers += len(printed_with_its_qr_code(client, response).content)
    offered_codes += 1400 + 300
    # 800 shared links as WeChat opens them: redirected, then the question's own address is kept.
    for _ in range(800):
        query = lookup_query(*next(pairs), next(day))
        redirect = ask(client, f"/?{query}&from=singlemessage&isappinstalled=0", 302)
        assert redirect["Location"] == f"/?{query}"
        response = ask(client, redirect["Location"], HTTP_HX_REQUEST="true")
        offered_answers += len(printed_with_its_qr_code(client, response).content)
    offered_codes += 800
    # 700 addresses padded to the query's limit: redirected before either store keeps anything.
    kept = (len(answer_store.store), answer_store.store.size, len(views.qr_svg), views.qr_svg.size)
    for n in range(700):
        padded = f"/?{lookup_query(*next(pairs), next(day))}&x{n:04d}="
        ask(client, padded + "a" * (1024 - len(padded) + 2), 302)  # the query at the 1,024-character limit
    assert (len(answer_store.store), answer_store.store.size, len(views.qr_svg), views.qr_svg.size) == kept
    elapsed = time.monotonic() - started
    assert 2000 + 1000 + 2800 + 1000 + 1400 + 300 + 800 + 700 == 10_000

    answers_bound, codes_bound = 32 * MB, 8 * MB
    # The junk offered far more than either bound, so the bounds were what held the stores.
    assert offered_answers > 2 * answers_bound, offered_answers
    assert len(views.qr_svg) < offered_codes * 0.9, (len(views.qr_svg), offered_codes)
    # Their own accounting.
    assert answers_bound * 0.9 < answer_store.store.size <= answers_bound
    assert codes_bound * 0.9 < views.qr_svg.size <= codes_bound
    # What Python holds for them, counted object by object.
    held_answers = deep_size(answer_store.store._entries)
    held_codes = deep_size(views.qr_svg._entries)
    print(
        f"\n10,000 junk addresses in {elapsed:.1f} s; answers: {len(answer_store.store)} kept, "
        f"{answer_store.store.size / MB:.2f} MB counted, {held_answers / MB:.2f} MB held; QR codes: "
        f"{len(views.qr_svg)} kept, {views.qr_svg.size / MB:.2f} MB counted, {held_codes / MB:.2f} MB held"
    )
    assert held_answers <= answers_bound, held_answers
    assert held_codes <= codes_bound, held_codes
