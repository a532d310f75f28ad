"""Sentences a page needs before any answer: composed in recognition.site.presenters, from the rule book."""

from django import template

from recognition.rules.book import RuleBook
from recognition.site import fragments, guide, presenters

register = template.Library()


@register.simple_tag
def region_hint(book: RuleBook) -> str:
    return presenters.region_hint(book)


@register.simple_tag
def card(card: guide.Card) -> str:
    """The card's HTML (templates/jinja2/_card.html), rendered once per distinct card (recognition.site.fragments)."""
    return fragments.card_html(card)


@register.simple_tag
def choices(template: str, book: RuleBook, certificates, chosen) -> str:
    """The picker's choice for each certificate, ticked for those `chosen` (recognition.site.fragments)."""
    return fragments.choices(template, book, certificates, chosen)


@register.simple_tag
def rule(view) -> str:
    """A rule as the routes and certificate pages show it (templates/jinja2/_recognition.html), rendered once per
    distinct view (recognition.site.fragments)."""
    return fragments.rule_html(view)


@register.simple_tag
def region_options(book: RuleBook, region: str | None) -> str:
    """The region picker's options, the one asked about selected (recognition.site.fragments)."""
    return fragments.region_options(book, region)
