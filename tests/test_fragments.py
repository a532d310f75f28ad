"""Parts of pages rendered once and kept (recognition.site.fragments): the same HTML as rendering afresh,
never another request's, and bounded in bytes."""

import tracemalloc

import pytest
from django.template.loader import render_to_string
from django.urls import set_script_prefix

from recognition.http import answer_store
from recognition.rules import engine
from recognition.rules.snapshot import current_rules
from recognition.site import fragments, guide
from recognition.site.presenters import rule_view
from tests.test_engine import ALL, ALL_COMBINATIONS, TODAY, in_picker_order

pytestmark = pytest.mark.django_db


def every_card(book):
    for held in ALL_COMBINATIONS:
        for region in (None, "31", "44"):
            yield from guide.describe(book, engine.lookup(book, held, region, on=TODAY)).cards


def test_a_kept_card_is_the_card_rendered_afresh():
    book = current_rules()
    cards = list(every_card(book))
    assert len(cards) > 100
    for card in cards:
        assert fragments.card_html(card) == render_to_string("_card.html", {"card": card})
    # Many of those cards are the same card on different pages: each is rendered once, and so is each part
    # many cards share (their conditions, their next steps).
    kept_templates = [template for _prefix, template, _name, _shown in fragments.kept_fragments.kept_keys()]
    assert kept_templates.count("_card.html") == len(set(cards)) < len(cards)
    assert {"_conditions.html", "_next_steps.html"} <= set(kept_templates)


def test_a_kept_rule_is_the_rule_rendered_afresh(client):
    book = current_rules()
    shown = [
        rule_view(book, step.rule, step, TODAY, book.provinces.get(region))
        for target in ALL
        for region in ("", "31", "44")
        for route in engine.routes(book, target, region=region or None, on=TODAY).direct
        for step in route.steps
    ]
    assert len(shown) > 10
    for view in shown:
        assert fragments.rule_html(view) == render_to_string("_recognition.html", {"view": view})
    # The routes and certificate pages show them as rendering afresh would, whatever was kept before.
    for path in ("/routes/?target=building-welder", "/certificates/building-welder/"):
        first = client.get(path).content
        fragments.kept_fragments.cache_clear()
        answer_store.forget()
        assert client.get(path).content == first


def test_a_card_kept_under_one_address_prefix_is_not_served_under_another():
    """A card's links are made under the request's address prefix, and it is kept under that prefix too."""
    try:
        set_script_prefix("/forged/")
        forged_card = next(every_card(current_rules()))
        forged = fragments.card_html(forged_card)
    finally:
        set_script_prefix("/")
    card = next(every_card(current_rules()))
    plain = fragments.card_html(card)
    assert 'href="/forged/certificates/' in forged
    assert "/forged/" not in plain and 'href="/certificates/' in plain
    assert forged_card != card  # kept apart by the card itself, as well as by the prefix in the key


def test_the_pages_show_the_kept_cards_as_they_would_render_them(client):
    first = client.get("/?held=low-voltage-electrician&held=building-welder&region=44").content
    assert fragments.kept_fragments
    fragments.kept_fragments.cache_clear()
    client.get("/?held=low-voltage-electrician&region=44")  # another page, sharing a card
    answer_store.forget()
    assert client.get("/?held=low-voltage-electrician&held=building-welder&region=44").content == first


def test_the_kept_cards_are_bounded_in_bytes(settings):
    settings.FRAGMENT_CACHE_MB = 0.25
    budget = 0.25 * 1024 * 1024
    book = current_rules()
    cards = list(dict.fromkeys(every_card(book)))
    tracemalloc.start()
    try:
        start = tracemalloc.get_traced_memory()[0]
        for prefix in range(40):  # distinct keys, many times what the budget holds
            set_script_prefix(f"/p{prefix}/")
            for card in cards:
                fragments.card_html(card)
        held = tracemalloc.get_traced_memory()[0] - start
    finally:
        set_script_prefix("/")
        tracemalloc.stop()
    assert 0 < fragments.kept_fragments.size <= budget
    assert held < budget * 1.5, held  # what Python holds for them, rendering's own leftovers included


@pytest.mark.parametrize("held", [(), ("building-welder",), ALL])
def test_the_picker_ticks_exactly_the_certificates_held(client, held):
    query = "&".join(f"held={slug}" for slug in in_picker_order(held))
    response = client.get(f"/?{query}" if held else "/")
    assert response.status_code == 200
    page = response.content.decode()
    for slug in ALL:
        ticked = f'value="{slug}" id="held-{slug}" checked' in page
        assert ticked == (slug in held), slug
    assert page.count('type="checkbox" name="held"') == len(ALL)


def test_the_routes_picker_ticks_the_target(client):
    page = client.get("/routes/?target=building-welder").content.decode()
    assert page.count(" checked") == 1 and 'id="target-building-welder" checked' in page


@pytest.mark.parametrize("path", ["/?held=building-welder", "/routes/?target=building-welder"])
def test_the_region_picker_selects_exactly_the_region_asked_about(client, path):
    provinces = current_rules().provinces
    for region in [None, "31", "44"]:
        page = client.get(f"{path}&region={region}" if region else path).content.decode()
        assert page.count("<option ") == len(provinces) + 1
        assert page.count(" selected") == (1 if region else 0)
        if region:
            assert f'<option value="{region}" selected>{provinces[region].name}</option>' in page
