"""Sentences a page needs before any answer: composed in recognition.site.presenters, from the rule book."""

from django import template

from recognition.rules.book import RuleBook
from recognition.site import presenters

register = template.Library()


@register.simple_tag
def region_hint(book: RuleBook) -> str:
    return presenters.region_hint(book)
