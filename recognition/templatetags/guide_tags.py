from django import template

from recognition.rules.book import RuleInfo
from recognition.site import guide

register = template.Library()


@register.simple_tag(takes_context=True)
def plain_outcome(context, rule: RuleInfo) -> str:
    """A rule's outcome in a worker's words (可以不参加…,直接参加…), for pages that list rules."""
    return guide.plain_outcome(context["book"], rule)
