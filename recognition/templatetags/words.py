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
    """The card's HTML (templates/_card.html), rendered once per distinct card (recognition.site.fragments)."""
    return fragments.card_html(card)


@register.simple_tag
def kept(template: str, **shown) -> str:
    """`template` rendered with one object (`{% kept "_next_steps.html" steps=card.steps %}`), once per distinct
    object (recognition.site.fragments): for the parts many cards share."""
    ((name, value),) = shown.items()
    return fragments.fragment(template, name, value)


@register.simple_tag
def choices(template: str, book: RuleBook, certificates, chosen) -> str:
    """The picker's choice for each certificate, ticked for those `chosen` (recognition.site.fragments)."""
    return fragments.choices(template, book, certificates, chosen)


@register.simple_tag
def rule(view) -> str:
    """A rule as the routes and certificate pages show it (templates/_recognition.html), rendered once per
    distinct view (recognition.site.fragments)."""
    return fragments.rule_html(view)
